# rvo's bundled example: a small packet filter in the raw form (r1 = first byte of the
# Ethernet frame, r2 = its length), returning XDP verdicts:
#   XDP_DROP (1) for runts, IPv4 with a bad header length, and UDP to port 53 from outside
#   10.0.0.0/8; XDP_TX (3) for ICMP echo requests; XDP_PASS (2) for everything else.
    jlt %r2, 14, drop
    ldxh %r3, [%r1+12]          # EtherType, network byte order
    be16 %r3
    jne %r3, 0x0800, pass
    jlt %r2, 34, drop
    ldxb %r4, [%r1+14]          # version and header length
    and %r4, 0x0f
    lsh %r4, 2
    jlt %r4, 20, drop
    mov %r6, %r1
    add %r6, %r4                # r6 = frame + IP header length
    mov %r7, %r4
    add %r7, 22                 # bytes needed: Ethernet + IP + 8 (UDP or ICMP header)
    jgt %r7, %r2, drop
    ldxb %r5, [%r1+23]          # protocol
    jeq %r5, 1, icmp
    jne %r5, 17, pass
    ldxh %r8, [%r6+16]          # UDP destination port
    be16 %r8
    jne %r8, 53, pass
    ldxb %r9, [%r1+26]          # first byte of the source address
    jeq %r9, 10, pass
drop:
    mov %r0, 1
    exit
icmp:
    ldxb %r9, [%r6+14]          # ICMP type
    jne %r9, 8, pass
    mov %r0, 3
    exit
pass:
    mov %r0, 2
    exit
