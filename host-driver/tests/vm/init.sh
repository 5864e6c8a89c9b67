#!/bin/sh
# In-guest checks of rvo.ko against rvo-devsim (run as /init by `cargo xtask vm-test`).
# Prints one `RVO-CHECK: PASS|FAIL name` line per check and `RVO-RESULT: N passed, M failed`.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev 2>/dev/null
mount -t debugfs none /sys/kernel/debug; mount -t bpf bpf /sys/fs/bpf; mount -t tmpfs tmp /tmp
IP=/usr/bin/ip; BPFTOOL=/usr/sbin/bpftool; B=/bpf
[ -f /checks/env.sh ] && . /checks/env.sh
PASS=0; FAIL=0
ok() { echo "RVO-CHECK: PASS $*"; PASS=$((PASS+1)); }
ko() { echo "RVO-CHECK: FAIL $*"; FAIL=$((FAIL+1)); }
check() { name=$1; shift; if "$@" >/tmp/out 2>&1; then ok "$name"; else ko "$name"; sed 's/^/    /' /tmp/out | head -20; fi; }
# A command that must fail with a message matching a pattern.
refuse() { name=$1; pat=$2; shift 2; if "$@" >/tmp/out 2>&1; then ko "$name (succeeded)"; elif grep -qE "$pat" /tmp/out; then ok "$name"; else ko "$name"; sed 's/^/    /' /tmp/out | head -20; fi; }
ctr() { grep "^$1 " $DBG/counters | cut -d' ' -f2; }
wire() { echo "$1" > $DBG/wire; }
rxpk() { cat /sys/class/net/rvo0/statistics/rx_packets; }
vsnap() { echo "$(ctr xdp_aborted) $(ctr xdp_drop) $(ctr xdp_pass) $(ctr xdp_tx) $(ctr xdp_redirect)"; }
# corpus NAME SEC "ABORTED DROP PASS TX REDIRECT": offload tests/corpus/NAME.o, fill its maps
# (/checks/NAME.maps: `MAP key hex .. value hex ..` lines), run its capture on the wire and
# compare the device's verdict counters with what Linux's BPF_PROG_TEST_RUN gave.
corpus() {
  name=$1; sec=$2; expect=$3
  if ! $IP -force link set dev rvo0 xdpoffload obj $B/corpus/$name.o sec $sec >/tmp/out 2>&1; then
    ko "corpus $name: offloaded"; sed 's/^/    /' /tmp/out | head -20; return; fi
  ok "corpus $name: offloaded"
  if [ -f /checks/$name.maps ]; then
    while read m rest; do $BPFTOOL map update name $m $rest || ko "corpus $name: map $m $rest"; done < /checks/$name.maps
  fi
  before=$(vsnap); echo $name > $DBG/wire; after=$(vsnap)
  got=$(echo "$before $after" | awk '{print $6-$1, $7-$2, $8-$3, $9-$4, $10-$5}')
  if [ "$got" = "$expect" ]; then ok "corpus $name: verdicts agree with Linux (aborted drop pass tx redirect: $expect)"
  else ko "corpus $name: verdicts $got, Linux gives $expect"; fi
  [ -f /checks/$name.expect ] || return
  bad=0; n=0
  while read m file count; do
    $BPFTOOL -j map dump name $m | awk '{ gsub(/^\[|\]$/, ""); gsub(/\},\{/, "}\n{"); print }' | sort > /tmp/got
    if cmp -s /tmp/got /checks/$file; then n=$((n+count)); else
      echo "    $m differs from Linux:"; diff /checks/$file /tmp/got 2>/dev/null | head -5 | sed 's/^/      /'; bad=1; fi
  done < /checks/$name.expect
  [ $bad = 0 ] && ok "corpus $name: maps agree with Linux ($n entries)" || ko "corpus $name: maps agree with Linux"
}
$IP link set lo up
echo "RVO-VM: userspace at $(cut -d' ' -f1 /proc/uptime)s, kernel $(uname -r)"

check "insmod rvo.ko" insmod /lib/modules/rvo.ko
check "rvo0 exists" $IP link show dev rvo0
check "probe found the device (signature, lanes)" sh -c "dmesg | grep -q 'device kind 1'"
check "MSI-X vectors allocated" sh -c "grep -q rvo-cmd /proc/interrupts && grep -q rvo-rx /proc/interrupts"
check "rvo0 up" $IP link set dev rvo0 up
DBG=$(ls -d /sys/kernel/debug/rvo/*/ | head -1)

# Attach, inspect, run frames.
check "xdpoffload xdp_pass" $IP link set dev rvo0 xdpoffload obj $B/xdp_pass.o sec xdp
check "ip shows xdpoffload" sh -c "$IP -d link show dev rvo0 | grep -q xdpoffload"
check "bpftool: offloaded_to rvo0" sh -c "$BPFTOOL prog show | grep -q 'offloaded_to rvo0'"
PID=$($BPFTOOL prog show | grep -B2 'offloaded_to rvo0' | grep -o '^[0-9]*' | head -1)
check "jited code is the device image (RVO1)" sh -c "/bin/jited $PID > /tmp/jited.bin && head -c 4 /tmp/jited.bin | grep -q RVO1"
check "bpftool reports the image size" sh -c "$BPFTOOL prog show id $PID | grep -q \"jited \$(wc -c < /tmp/jited.bin)B\""
check "bpftool net shows the offloaded program" sh -c "$BPFTOOL net show dev rvo0 | grep -q offload"
RX0=$(rxpk); P0=$(ctr xdp_pass)
check "wire frames run by xdp_pass" wire frames
check "XDP_PASS counted" test "$(($(ctr xdp_pass) - P0))" = "$NFRAMES"
sleep 0.2
check "passed frames reach rvo0" test "$(($(rxpk) - RX0))" = "$NFRAMES"

# Replace and refusals with the kernel's messages.
refuse "second attach without -force refused" "already attached|Device or resource busy" $IP link set dev rvo0 xdpoffload obj $B/xdp_drop.o sec xdp
check "replace with -force" $IP -force link set dev rvo0 xdpoffload obj $B/xdp_drop.o sec xdp
D0=$(ctr xdp_drop)
check "replaced program drops" sh -c "echo frames > $DBG/wire && test \$((\$(grep '^xdp_drop ' $DBG/counters | cut -d' ' -f2) - $D0)) = $NFRAMES"
check "detach" $IP link set dev rvo0 xdpoffload off
check "ip shows no program" sh -c "! $IP -d link show dev rvo0 | grep -q 'prog/xdp'"
refuse "wire without a program refused (ENODEV)" "No such device" wire frames
refuse "driver-mode XDP refused" "only offloaded" $IP link set dev rvo0 xdpdrv obj $B/xdp_pass.o sec xdp
refuse "unsupported helper: [rvo] verifier message" "\[rvo\] insn [0-9]+: bpf_trace_printk" $BPFTOOL prog load $B/xdp_printk.o /sys/fs/bpf/printk type xdp offload_dev rvo0
check "bpftool prog load offload_dev" $BPFTOOL prog load $B/xdp_pass.o /sys/fs/bpf/pass type xdp offload_dev rvo0
refuse "offloaded program in driver mode: kernel's message" "without HW_MODE flag" $BPFTOOL net attach xdpdrv pinned /sys/fs/bpf/pass dev rvo0
refuse "offloaded program on another device: kernel's message" "different device" $BPFTOOL net attach xdpoffload pinned /sys/fs/bpf/pass dev lo
check "bpftool net attach xdpoffload" $BPFTOOL net attach xdpoffload pinned /sys/fs/bpf/pass dev rvo0
check "bpftool net detach xdpoffload" $BPFTOOL net detach xdpoffload dev rvo0
rm -f /sys/fs/bpf/pass

# Offloaded maps.
check "xdpoffload xdp_maps" $IP link set dev rvo0 xdpoffload obj $B/xdp_maps.o sec xdp
check "two maps offloaded to rvo0" test "$($BPFTOOL map show | grep -c 'offloaded_to rvo0')" = 2
AID=$($BPFTOOL map show | grep 'name verdict' | cut -d: -f1)
HID=$($BPFTOOL map show | grep 'name by_len' | cut -d: -f1)
check "array update/lookup" sh -c "$BPFTOOL map update id $AID key 1 0 0 0 value 7 0 0 0 && $BPFTOOL map lookup id $AID key 1 0 0 0 | grep -q '07 00 00 00'"
refuse "array index out of range: E2BIG" "Argument list too long" $BPFTOOL map update id $AID key 9 0 0 0 value 1 0 0 0
refuse "array BPF_NOEXIST: EEXIST" "File exists" $BPFTOOL map update id $AID key 1 0 0 0 value 1 0 0 0 noexist
refuse "array delete: EINVAL" "Invalid argument" $BPFTOOL map delete id $AID key 1 0 0 0
check "hash lookup of a missing key: ENOENT (bpftool: Not found)" sh -c "$BPFTOOL map lookup id $HID key 1 0 0 0 2>&1 | grep -q 'Not found'"
refuse "hash delete of a missing key: ENOENT" "No such file" $BPFTOOL map delete id $HID key 1 0 0 0
check "hash update x2" sh -c "$BPFTOOL map update id $HID key 1 0 0 0 value 1 0 0 0 0 0 0 0 && $BPFTOOL map update id $HID key 2 0 0 0 value 2 0 0 0 0 0 0 0"
refuse "hash full: E2BIG" "Argument list too long" $BPFTOOL map update id $HID key 3 0 0 0 value 3 0 0 0 0 0 0 0
refuse "hash BPF_EXIST on a missing key: ENOENT" "No such file" $BPFTOOL map update id $HID key 3 0 0 0 value 3 0 0 0 0 0 0 0 exist
check "hash delete" $BPFTOOL map delete id $HID key 2 0 0 0
check "map dump (get_next_key)" sh -c "test \$($BPFTOOL map dump id $AID | grep -c '^key') = 4"
check "program sees the host's map (verdict[0] = DROP)" $BPFTOOL map update id $AID key 0 0 0 0 value 1 0 0 0
D0=$(ctr xdp_drop)
check "map-driven verdicts on the wire" sh -c "echo frames > $DBG/wire && test \$((\$(grep '^xdp_drop ' $DBG/counters | cut -d' ' -f2) - $D0)) = $NFRAMES"
check "host sees the program's map updates" sh -c "$BPFTOOL map dump id $HID | grep -q '^key'"
check "pin the array" $BPFTOOL map pin id $AID /sys/fs/bpf/verdict
check "detach keeps the map's contents" sh -c "$IP link set dev rvo0 xdpoffload off && $BPFTOOL map lookup pinned /sys/fs/bpf/verdict key 1 0 0 0 | grep -q '07 00 00 00'"
check "map still on rvo0 after detach" sh -c "$BPFTOOL map show pinned /sys/fs/bpf/verdict | grep -q 'offloaded_to rvo0'"

# Corpus programs against Linux (generated by the harness).
[ -f /checks/corpus.sh ] && . /checks/corpus.sh

# Teardown with a program attached.
BDF=$(basename $(readlink /sys/class/net/rvo0/device))
check "attach before removal" $IP -force link set dev rvo0 xdpoffload obj $B/xdp_maps.o sec xdp
check "PCI device removal with a program attached" sh -c "echo 1 > /sys/bus/pci/devices/$BDF/remove && ! $IP link show dev rvo0 2>/dev/null"
check "offloaded program and maps gone from the device" sh -c "! $BPFTOOL prog show | grep -q offloaded_to && ! $BPFTOOL map show | grep -q offloaded_to"
refuse "pinned map of a removed device: ENODEV" "No such device|Operation not supported|No such file" $BPFTOOL map lookup pinned /sys/fs/bpf/verdict key 1 0 0 0
rm -f /sys/fs/bpf/verdict
check "rescan finds the device again" sh -c "echo 1 > /sys/bus/pci/rescan && sleep 0.5 && $IP link show dev rvo0"
check "attach again" $IP link set dev rvo0 xdpoffload obj $B/xdp_pass.o sec xdp
check "rmmod with a program attached" rmmod rvo
check "rvo0 gone after rmmod" sh -c "! $IP link show dev rvo0 2>/dev/null"
check "no WARNING/BUG/Oops in dmesg" sh -c "! dmesg | grep -qE 'WARNING|BUG|Oops|Call Trace'"
dmesg | grep -E 'rvo|WARNING|BUG|Oops' | tail -30 | sed 's/^/    dmesg: /'
echo "RVO-RESULT: $PASS passed, $FAIL failed"
echo "RVO-VM: done at $(cut -d' ' -f1 /proc/uptime)s"
reboot -f
