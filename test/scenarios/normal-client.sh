#!/usr/bin/env bash
# Normal (benign) traffic loops for one client host of a scenario.
# Run inside the client's network namespace by generate.sh:
#   normal-client.sh <loop> <seed>
# loop: web | dns | ping | bulk | iperf | ssh-session | ssh-commands | trickle
# Each loop runs until it is killed. Addresses come from the environment
# (WEB_IP, APP_IP, DNS_IP, SSH_IP, BULK_IP, PEER_IPS, ZONE, SSH_KEY, CLIENT_NAME).
set -u

loop=${1:?loop name}
RANDOM=${2:?seed}

# rand_ms LO HI: a random duration in seconds with millisecond precision.
rand_ms() {
  local lo=$1 hi=$2 ms
  ms=$(( lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1) ))
  printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}
pick() { local -a a=("$@"); printf '%s' "${a[RANDOM % ${#a[@]}]}"; }

SSH_OPTS=(-i "${SSH_KEY:-/dev/null}" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=5 -o ServerAliveInterval=20)

web_loop() {
  # Browsing: sometimes resolve the name first, then a page (html + assets),
  # sometimes a single API call or a picture; think time between visits.
  local page_assets=(css/style.css js/app.js img/logo.png)
  local pictures=(img/photo1.jpg img/photo2.jpg img/photo3.jpg img/photo4.jpg)
  local api=(api/status.json api/items.json api/user.json)
  while :; do
    if (( RANDOM % 2 == 0 )); then
      dig +short +tries=1 +time=2 "@$DNS_IP" "$(pick www api static).$ZONE" A >/dev/null 2>&1
    fi
    case $(( RANDOM % 10 )) in
      0|1|2|3)
        curl -s -o /dev/null --max-time 20 "http://$WEB_IP/index.html"
        for a in "${page_assets[@]}"; do
          (( RANDOM % 4 == 0 )) && continue  # cached by the browser
          sleep "$(rand_ms 20 300)"
          curl -s -o /dev/null --max-time 20 "http://$WEB_IP/$a"
        done ;;
      4|5|6)
        curl -s -o /dev/null --max-time 20 "http://$WEB_IP/$(pick "${api[@]}")" ;;
      7)
        # an internal service in the other subnet, through the router
        curl -s -o /dev/null --max-time 20 "http://$APP_IP:8000/$(pick status.json items.json)" ;;
      8)
        curl -s -o /dev/null --max-time 20 "http://$WEB_IP/$(pick "${pictures[@]}")" ;;
      9)
        curl -s -o /dev/null --max-time 20 "http://$WEB_IP/docs/report.pdf" ;;
    esac
    sleep "$(rand_ms 2000 12000)"
  done
}

dns_loop() {
  local names=(www api static mail files git ns intranet wiki)
  while :; do
    local r=$(( RANDOM % 20 ))
    if (( r < 14 )); then
      dig +tries=1 +time=2 "@$DNS_IP" "$(pick "${names[@]}").$ZONE" A >/dev/null 2>&1
    elif (( r < 16 )); then
      dig +tries=1 +time=2 "@$DNS_IP" "$(pick www api mail).$ZONE" AAAA >/dev/null 2>&1
    elif (( r < 17 )); then
      dig +tries=1 +time=2 "@$DNS_IP" "$ZONE" MX >/dev/null 2>&1
    elif (( r < 18 )); then
      dig +tries=1 +time=2 "@$DNS_IP" "$ZONE" TXT >/dev/null 2>&1
    else
      # typos and stale names: NXDOMAIN
      dig +tries=1 +time=2 "@$DNS_IP" "$(pick wwww ap1 old-wiki printer build).$ZONE" A >/dev/null 2>&1
    fi
    sleep "$(rand_ms 2000 12000)"
  done
}

ping_loop() {
  local -a targets=("$WEB_IP" "$DNS_IP" "$SSH_IP" "$BULK_IP" "$APP_IP")
  # shellcheck disable=SC2206
  [[ -n ${PEER_IPS:-} ]] && targets+=($PEER_IPS)
  while :; do
    sleep "$(rand_ms 8000 30000)"
    ping -n -q -c "$(( 1 + RANDOM % 4 ))" -i 0.5 -W 2 "$(pick "${targets[@]}")" >/dev/null 2>&1
  done
}

bulk_loop() {
  # Large downloads from the file server, now and then.
  while :; do
    sleep "$(rand_ms 50000 140000)"
    local f
    case $(( RANDOM % 6 )) in
      0|1|2) f=bulk/1M.bin ;;
      3|4) f=bulk/4M.bin ;;
      5) f=bulk/16M.bin ;;
    esac
    curl -s -o /dev/null --max-time 60 "http://$BULK_IP:8080/$f"
  done
}

iperf_loop() {
  # Short throughput tests (a backup job / speed check).
  while :; do
    sleep "$(rand_ms 60000 150000)"
    iperf3 -c "$BULK_IP" -p 5201 -t "$(( 2 + RANDOM % 3 ))" -b "$(pick 5M 10M 15M)" >/dev/null 2>&1
  done
}

ssh_session_loop() {
  # One long-lived interactive-looking session printing a little every few seconds;
  # reconnect if it drops.
  while :; do
    ssh "${SSH_OPTS[@]}" "root@$SSH_IP" \
      'while :; do date; cat /proc/loadavg; sleep 4; done' >/dev/null 2>&1
    sleep 5
  done
}

ssh_commands_loop() {
  # Occasional short admin commands over ssh (successful logins).
  while :; do
    sleep "$(rand_ms 30000 90000)"
    ssh "${SSH_OPTS[@]}" "root@$SSH_IP" "$(pick 'uptime' 'ls -la /etc | head -40' 'df -h' 'ps aux | head -20')" >/dev/null 2>&1
  done
}

trickle_loop() {
  # A slow telemetry stream over one long TCP connection.
  while :; do
    while :; do
      printf 'ts=%s host=%s temp=%d load=%d\n' "$(date +%s)" "${CLIENT_NAME:-client}" $(( RANDOM % 40 )) $(( RANDOM % 100 ))
      sleep "$(rand_ms 1500 3500)"
    done | nc -N "$BULK_IP" 5000 >/dev/null 2>&1
    sleep 3
  done
}

case $loop in
  web) web_loop ;;
  dns) dns_loop ;;
  ping) ping_loop ;;
  bulk) bulk_loop ;;
  iperf) iperf_loop ;;
  ssh-session) ssh_session_loop ;;
  ssh-commands) ssh_commands_loop ;;
  trickle) trickle_loop ;;
  *) echo "normal-client.sh: unknown loop '$loop'" >&2; exit 2 ;;
esac
