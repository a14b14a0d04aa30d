#   The fault campaign's network: every replica in a network namespace of
#   its own, the clients in one more, all on one bridge that lives in a hub
#   namespace. The subnet exists only inside these namespaces, so nothing
#   here can reach or disturb the host's network, and deleting the
#   namespaces removes every interface and firewall rule made in them.
#
#       NET_PREFIX-hub      bridge br0; one veth peer pI per replica, pc
#       NET_PREFIX-rI       veth v0, 10.77.0.(10+I)/24; chains GAVEL_IN/OUT
#       NET_PREFIX-c        veth v0, 10.77.0.100/24 (bidders, gavel-local status)
#
#   Faults are rules in the replicas' GAVEL_IN and GAVEL_OUT chains; healing
#   flushes them. The clients' namespace never gets a rule: clients reach
#   every replica all the time, as a client of a real cluster could.
#
#   Source it; set NET_PREFIX (short: namespace names show in ip netns list)
#   and NET_REPLICAS first.

NET_SUBNET=10.77.0
NET_CLIENT_IP=$NET_SUBNET.100

net_ip () {
    echo "$NET_SUBNET.$((10 + $1))"
}

net_ns () {
    echo "$NET_PREFIX-r$1"
}

NET_CLIENT_NS=
NET_MADE=()

#   net_in NS COMMAND...: run a command inside a namespace
net_in () {
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}

#   _net_attach NS IP PEER: a veth from NS to the hub's bridge
_net_attach () {
    ip link add v0 netns "$1" type veth peer name "$3" netns "$NET_PREFIX-hub" || return 1
    ip -n "$1" addr add "$2/24" dev v0 || return 1
    ip -n "$1" link set v0 up || return 1
    ip -n "$1" link set lo up || return 1
    ip -n "$NET_PREFIX-hub" link set "$3" master br0 || return 1
    ip -n "$NET_PREFIX-hub" link set "$3" up
}

#   Namespaces of a run that was killed outright (SIGKILL, so its trap
#   never ran): PREFIX is ours and the pid in it is gone. Nothing else is
#   touched.
net_sweep () {
    local ns pid
    for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep -E "^$1[0-9]+-"); do
        pid=${ns#"$1"}
        pid=${pid%%-*}
        [ -d "/proc/$pid" ] || ip netns del "$ns" 2>/dev/null || true
    done
}

net_setup () {
    local id ns
    ip netns add "$NET_PREFIX-hub" || return 1
    NET_MADE+=("$NET_PREFIX-hub")
    ip -n "$NET_PREFIX-hub" link add br0 type bridge || return 1
    ip -n "$NET_PREFIX-hub" link set br0 up || return 1
    for ((id = 1; id <= NET_REPLICAS; id++)); do
        ns=$(net_ns "$id")
        ip netns add "$ns" || return 1
        NET_MADE+=("$ns")
        _net_attach "$ns" "$(net_ip "$id")" "p$id" || return 1
        net_in "$ns" iptables -N GAVEL_IN || return 1
        net_in "$ns" iptables -N GAVEL_OUT || return 1
        net_in "$ns" iptables -A INPUT -j GAVEL_IN || return 1
        net_in "$ns" iptables -A OUTPUT -j GAVEL_OUT || return 1
    done
    NET_CLIENT_NS=$NET_PREFIX-c
    ip netns add "$NET_CLIENT_NS" || return 1
    NET_MADE+=("$NET_CLIENT_NS")
    _net_attach "$NET_CLIENT_NS" "$NET_CLIENT_IP" pc
}

#   Deleting a namespace deletes its veth end (and so its peer), its
#   addresses and its firewall rules
net_teardown () {
    local ns
    for ns in "${NET_MADE[@]}"; do
        ip netns del "$ns" 2>/dev/null || true
    done
    NET_MADE=()
}

#   net_cut A B: replicas A and B no longer hear each other, both ways
net_cut () {
    local a=$1 b=$2
    net_in "$(net_ns "$a")" iptables -A GAVEL_IN -s "$(net_ip "$b")" -j DROP
    net_in "$(net_ns "$a")" iptables -A GAVEL_OUT -d "$(net_ip "$b")" -j DROP
    net_in "$(net_ns "$b")" iptables -A GAVEL_IN -s "$(net_ip "$a")" -j DROP
    net_in "$(net_ns "$b")" iptables -A GAVEL_OUT -d "$(net_ip "$a")" -j DROP
}

#   net_split "A B" "C D E": every replica of one side cut from every one
#   of the other
net_split () {
    local a b
    for a in $1; do
        for b in $2; do
            net_cut "$a" "$b"
        done
    done
}

#   net_loss PERCENT: each replica drops that share of the packets it sends
#   to the other replicas (not to clients)
net_loss () {
    local id other
    for ((id = 1; id <= NET_REPLICAS; id++)); do
        for ((other = 1; other <= NET_REPLICAS; other++)); do
            [ "$other" = "$id" ] && continue
            net_in "$(net_ns "$id")" iptables -A GAVEL_OUT -d "$(net_ip "$other")" \
                -m statistic --mode random --probability "0.$(printf %02d "$1")" -j DROP
        done
    done
}

#   net_queue ID: replica ID's packets to the other replicas go through
#   NFQUEUE 0 of its namespace, where a delayer holds them (without a
#   delayer listening, --queue-bypass lets them through)
net_queue () {
    local id=$1 other
    for ((other = 1; other <= NET_REPLICAS; other++)); do
        [ "$other" = "$id" ] && continue
        net_in "$(net_ns "$id")" iptables -A GAVEL_OUT -d "$(net_ip "$other")" \
            -j NFQUEUE --queue-num 0 --queue-bypass
    done
}

#   net_heal [ID...]: every fault rule gone (of these replicas; default all)
net_heal () {
    local id ids=("$@")
    [ ${#ids[@]} -gt 0 ] || for ((id = 1; id <= NET_REPLICAS; id++)); do ids+=("$id"); done
    for id in "${ids[@]}"; do
        net_in "$(net_ns "$id")" iptables -F GAVEL_IN
        net_in "$(net_ns "$id")" iptables -F GAVEL_OUT
    done
}
