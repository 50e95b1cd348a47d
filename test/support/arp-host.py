#!/usr/bin/env python3
# A badly behaved host on the lab's LAN, speaking real ARP on a packet socket:
#   late  DEV ADDR DELAY    answer ARP requests and probes for ADDR, DELAY seconds late
#   flood DEV ADDR COUNT    send COUNT gratuitous ARP replies claiming ADDR, as fast as it can
# Run inside the host's namespace (ip netns exec); prints one line when ready.
import socket, struct, sys, threading, time

ETH_P_ARP = 0x0806

def mac_of(dev):
    with open(f'/sys/class/net/{dev}/address') as f:
        return bytes.fromhex(f.read().strip().replace(':', ''))

def arp_frame(dst_mac, src_mac, op, sha, spa, tha, tpa):
    eth = dst_mac + src_mac + struct.pack('!H', ETH_P_ARP)
    return eth + struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, op, sha, spa, tha, tpa)

def main():
    mode, dev, addr, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    me = mac_of(dev)
    ip = socket.inet_aton(addr)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    s.bind((dev, ETH_P_ARP))
    print('ready', flush=True)
    if mode == 'flood':
        bcast = b'\xff' * 6
        frame = arp_frame(bcast, me, 2, me, ip, bcast, ip)
        for _ in range(int(n)):
            s.send(frame)
        print('sent', n, flush=True)
        return
    delay = float(n)
    while True:
        pkt = s.recv(2048)
        if len(pkt) < 42:
            continue
        op, sha, spa, tpa = struct.unpack("!H", pkt[20:22])[0], pkt[22:28], pkt[28:32], pkt[38:42]
        if op != 1 or tpa != ip:
            continue
        reply = arp_frame(sha, me, 2, me, ip, sha, spa)
        threading.Timer(delay, lambda r=reply: s.send(r)).start()

main()
