#!/bin/sh
# In-guest checks of rvo.ko against rvo-devsim (run as /init by `cargo xtask vm-test`).
# Prints one `RVO-CHECK: PASS|FAIL name` line per check and `RVO-RESULT: N passed, M failed`.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev 2>/dev/null
mount -t debugfs none /sys/kernel/debug; mount -t bpf bpf /sys/fs/bpf; mount -t tmpfs tmp /tmp
IP=/usr/bin/ip; BPFTOOL=/usr/sbin/bpftool; ETHTOOL=/usr/sbin/ethtool; B=/bpf
[ -f /checks/env.sh ] && . /checks/env.sh
PASS=0; FAIL=0
ok() { echo "RVO-CHECK: PASS $*"; PASS=$((PASS+1)); }
ko() { echo "RVO-CHECK: FAIL $*"; FAIL=$((FAIL+1)); }
check() { name=$1; shift; if "$@" >/tmp/out 2>&1; then ok "$name"; else ko "$name"; sed 's/^/    /' /tmp/out | head -20; fi; }
# A command that must fail with a message matching a pattern.
refuse() { name=$1; pat=$2; shift 2; if "$@" >/tmp/out 2>&1; then ko "$name (succeeded)"; elif grep -qE "$pat" /tmp/out; then ok "$name"; else ko "$name"; sed 's/^/    /' /tmp/out | head -20; fi; }
ctr() { grep "^$1 " $DBG/counters | cut -d' ' -f2; }
wire() { echo "$1" > $DBG/wire; }
# IPv4 packets the stack received (rvo0's rx_packets is the device's count, not the stack's).
rxpk() { awk '$1 == "Ip:" && $2 ~ /^[0-9]/ { print $4 }' /proc/net/snmp; }
vsnap() { echo "$(ctr xdp_aborted) $(ctr xdp_drop) $(ctr xdp_pass) $(ctr xdp_tx) $(ctr xdp_redirect)"; }
# What the checks ran on the wire, to compare with the netdev's statistics at the end:
# expect "ABORTED DROP PASS TX REDIRECT" "PASS_BYTES TX_BYTES" adds one run's verdicts and the
# bytes of the frames it passed up and sent back.
EA=0; ED=0; EP=0; ET=0; ER=0; EPB=0; ETB=0
expect() {
  set -- $1 $2
  EA=$((EA+$1)); ED=$((ED+$2)); EP=$((EP+$3)); ET=$((ET+$4)); ER=$((ER+$5)); EPB=$((EPB+$6)); ETB=$((ETB+$7))
}
# corpus NAME SEC "ABORTED DROP PASS TX REDIRECT" "PASS_BYTES TX_BYTES": offload
# tests/corpus/NAME.o, fill its maps (/checks/NAME.maps: `MAP key hex .. value hex ..` lines),
# run its capture on the wire and compare the device's verdict counters with what Linux's
# BPF_PROG_TEST_RUN gave.
corpus() {
  name=$1; sec=$2; expect=$3; bytes=$4
  if ! $IP -force link set dev rvo0 xdpoffload obj $B/corpus/$name.o sec $sec >/tmp/out 2>&1; then
    ko "corpus $name: offloaded"; sed 's/^/    /' /tmp/out | head -20; return; fi
  ok "corpus $name: offloaded"
  if [ -f /checks/$name.maps ]; then
    while read m rest; do $BPFTOOL map update name $m $rest || ko "corpus $name: map $m $rest"; done < /checks/$name.maps
  fi
  before=$(vsnap); echo $name > $DBG/wire; after=$(vsnap); expect "$expect" "$bytes"
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
# No IPv6 on rvo0: the only frames the host sends are the checks' own (no MLD, no DAD).
echo 1 > /proc/sys/net/ipv6/conf/rvo0/disable_ipv6
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
expect "0 0 $NFRAMES 0 0" "$FRAME_BYTES 0"
check "XDP_PASS counted" test "$(($(ctr xdp_pass) - P0))" = "$NFRAMES"
sleep 0.2
check "passed frames reach rvo0's IPv4 stack" test "$(($(rxpk) - RX0))" = "$NFRAMES"

# Replace and refusals with the kernel's messages.
refuse "second attach without -force refused" "already attached|Device or resource busy" $IP link set dev rvo0 xdpoffload obj $B/xdp_drop.o sec xdp
check "replace with -force" $IP -force link set dev rvo0 xdpoffload obj $B/xdp_drop.o sec xdp
D0=$(ctr xdp_drop)
check "replaced program drops" sh -c "echo frames > $DBG/wire && test \$((\$(grep '^xdp_drop ' $DBG/counters | cut -d' ' -f2) - $D0)) = $NFRAMES"
expect "0 $NFRAMES 0 0 0" "0 0"
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
expect "0 $NFRAMES 0 0 0" "0 0"
check "host sees the program's map updates" sh -c "$BPFTOOL map dump id $HID | grep -q '^key'"
check "pin the array" $BPFTOOL map pin id $AID /sys/fs/bpf/verdict
check "detach keeps the map's contents" sh -c "$IP link set dev rvo0 xdpoffload off && $BPFTOOL map lookup pinned /sys/fs/bpf/verdict key 1 0 0 0 | grep -q '07 00 00 00'"
check "map still on rvo0 after detach" sh -c "$BPFTOOL map show pinned /sys/fs/bpf/verdict | grep -q 'offloaded_to rvo0'"

# Corpus programs against Linux (generated by the harness).
[ -f /checks/corpus.sh ] && . /checks/corpus.sh

# Frames the host sends go to the wire through the device: three pings (98 bytes each) to a
# neighbour that never answers.
$IP addr add 10.99.0.1/24 dev rvo0
$IP neigh add 10.99.0.2 lladdr 02:00:00:00:00:02 dev rvo0 nud permanent
HT0=$(ctr host_tx)
ping -q -c 3 -i 0.05 10.99.0.2 >/dev/null 2>&1 & PING=$!
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do [ $(($(ctr host_tx) - HT0)) -ge 3 ] && break; sleep 0.1; done
kill $PING 2>/dev/null; wait $PING 2>/dev/null
EHT=3; EHTB=$((3 * 98))
check "host transmits reach the wire (host_tx +$EHT)" test $(($(ctr host_tx) - HT0)) = $EHT

# Statistics: `ip -s link` and `ethtool` show the device's counters, and those are what the
# checks ran: NFRAMES per run of `frames`, Linux's verdicts and bytes for the corpus, the pings.
BDF=$(basename $(readlink /sys/class/net/rvo0/device))
# ipstat RX|TX: the numbers under `RX:`/`TX:` (bytes packets errors dropped ...).
ipstat() { $IP -s link show dev rvo0 | awk -v d="$1:" '$1 == d { getline; print; exit }'; }
# ethstat: `name value` per `ethtool -S` statistic.
ethstat() { $ETHTOOL -S rvo0 | awk -F: 'NR > 1 { gsub(/ /, ""); print $1, $2 }'; }
eq() { [ "$1" = "$2" ] || { echo "got \"$1\", expected \"$2\""; return 1; }; }
ip_rx() {
  set -- $(ipstat RX)
  eq "$2 $1" "$(ctr host_rx) $(ctr host_rx_bytes)" && eq "$2 $1" "$EP $EPB" && eq "$3" "$(ctr rx_errors)"
}
ip_dropped() {
  set -- $(ipstat RX)
  eq "$4" "$(($(ctr xdp_drop) + $(ctr xdp_aborted)))" && eq "$4" "$((ED + EA))" && eq "$5" "$(ctr host_rx_dropped)"
}
ip_tx() {
  set -- $(ipstat TX)
  eq "$2 $1" "$(ctr wire_tx) $(ctr wire_tx_bytes)" && eq "$2 $1" "$((ET + ER + EHT)) $((ETB + EHTB))"
}
eth_verdicts() {
  ethstat > /tmp/eth
  got=$(for v in xdp_aborted xdp_drop xdp_pass xdp_tx xdp_redirect; do grep "^$v " /tmp/eth | cut -d' ' -f2; done | tr '\n' ' ')
  eq "$got" "$(vsnap) " && eq "$got" "$EA $ED $EP $ET $ER "
}
eth_all() {
  ethstat > /tmp/eth
  eq "$(cut -d' ' -f1 /tmp/eth | head -8 | tr '\n' ' ')" "xdp_aborted xdp_drop xdp_pass xdp_tx xdp_redirect faults cycles runs " || return 1
  while read stat value; do eq "$stat $value" "$stat $(ctr $stat)" || return 1; done < /tmp/eth
  eq "$(grep '^runs ' /tmp/eth)" "runs $((EA + ED + EP + ET + ER))" && eq "$(grep '^faults ' /tmp/eth)" "faults 0" && [ "$(ctr cycles)" -gt 0 ]
}
check "ip -s link: RX packets/bytes are the device's host_rx/host_rx_bytes, the frames passed" ip_rx
check "ip -s link: RX dropped is the device's XDP_DROP + XDP_ABORTED" ip_dropped
check "ip -s link: TX packets/bytes are the device's wire_tx/wire_tx_bytes (XDP_TX, REDIRECT, host)" ip_tx
check "ethtool -S: per-verdict counters are the device's and the checks' (aborted drop pass tx redirect)" eth_verdicts
check "ethtool -S: every statistic is the device counter of its name (faults 0, cycles, runs)" eth_all
check "ethtool -i: driver rvo, contract version, device kind and lanes, bus $BDF" sh -c "$ETHTOOL -i rvo0 > /tmp/eth && grep -qx 'driver: rvo' /tmp/eth && grep -qx 'version: contract 1' /tmp/eth && grep -qx 'firmware-version: model, $LANES lanes' /tmp/eth && grep -qx 'bus-info: $BDF' /tmp/eth && grep -qx 'supports-statistics: yes' /tmp/eth || { cat /tmp/eth; false; }"
echo "RVO-STATS: ip -s link RX$(ipstat RX | tr -s ' '), TX$(ipstat TX | tr -s ' '); expected RX $EP packets $EPB bytes, dropped $((ED + EA)), TX $((ET + ER + EHT)) packets $((ETB + EHTB)) bytes"

# Teardown with a program attached.
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
