# Real servers on loopback for the integration tests: python's http.server
# (the seed's, no Range), nginx from Debian (Range), and the fault server.
# Each start_* sets a *_PORT variable; stop_servers ends them all.
SERVER_PIDS=()

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {
    for _ in $(seq 100); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "server on port $1 did not come up" >&2
    return 1
}

start_python_server() {  # DIR
    PY_PORT=$(free_port)
    (cd "$1" && exec python3 -m http.server "$PY_PORT" --bind 127.0.0.1) >"$T/python-server.log" 2>&1 &
    SERVER_PIDS+=($!)
    wait_port "$PY_PORT"
}

# What every nginx here shares: foreground, one process, files under $1.
nginx_preamble() {
    local n=$1
    cat <<CONF
daemon off;
master_process off;
worker_processes 1;
error_log $n/logs/error.log;
pid $n/nginx.pid;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events { worker_connections 64; }
http {
    access_log $n/logs/access.log;
    client_body_temp_path $n/tmp;
    proxy_temp_path $n/tmp;
    fastcgi_temp_path $n/tmp;
    uwsgi_temp_path $n/tmp;
    scgi_temp_path $n/tmp;
CONF
}

start_nginx() {  # DIR
    NGINX_PORT=$(free_port)
    local n="$T/nginx"
    mkdir -p "$n/logs" "$n/tmp"
    cat >"$n/nginx.conf" <<CONF
$(nginx_preamble "$n")
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $1;
        location /status500/ { return 500; }
    }
}
CONF
    /usr/sbin/nginx -c "$n/nginx.conf" -p "$n" >"$n/logs/stdout.log" 2>&1 &
    SERVER_PIDS+=($!)
    wait_port "$NGINX_PORT"
}

start_fault_server() {  # DIR
    rm -f "$T/fault.port"
    python3 "$(dirname "${BASH_SOURCE[0]}")/fault_server.py" "$1" "$T/fault.port" 900 2>"$T/fault-server.log" &
    SERVER_PIDS+=($!)
    for _ in $(seq 100); do [ -s "$T/fault.port" ] && break; sleep 0.05; done
    FAULT_PORT=$(cat "$T/fault.port")
    wait_port "$FAULT_PORT"
}

stop_servers() {
    for p in "${SERVER_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done  # one may have ended already
    wait 2>/dev/null
}

start_cut_proxy() {  # UPSTREAM_PORT CUT_AFTER [PATH]: a proxy that drops the first connection (for PATH) at byte CUT_AFTER
    rm -f "$T/proxy.port"
    python3 "$(dirname "${BASH_SOURCE[0]}")/cut_proxy.py" "$1" "$2" "$T/proxy.port" 300 ${3:+"$3"} 2>>"$T/proxy.log" &
    SERVER_PIDS+=($!)
    PROXY_PID=$!
    for _ in $(seq 100); do [ -s "$T/proxy.port" ] && break; sleep 0.05; done
    PROXY_PORT=$(cat "$T/proxy.port")
    wait_port "$PROXY_PORT"
}

stop_cut_proxy() {
    kill "$PROXY_PID" 2>/dev/null
    wait "$PROXY_PID" 2>/dev/null
}

start_nginx_tls() {  # DIR PKI [DIRECTIVES]: three HTTPS servers (good, hostname mismatch, expired); DIRECTIVES go to the good one
    TLS_GOOD_PORT=$(free_port)
    TLS_MISMATCH_PORT=$(free_port)
    TLS_EXPIRED_PORT=$(free_port)
    local n="$T/nginx-tls" pki=$2
    mkdir -p "$n/logs" "$n/tmp"
    server() {  # PORT CERT [DIRECTIVES]
        printf '    server { listen 127.0.0.1:%s ssl; root %s; ssl_certificate %s/%s.pem; ssl_certificate_key %s/%s.key; %s }\n' \
            "$1" "$DOCROOT" "$pki" "$2" "$pki" "$2" "${3:-}"
    }
    DOCROOT=$1
    cat >"$n/nginx.conf" <<CONF
$(nginx_preamble "$n")
$(server "$TLS_GOOD_PORT" good "${3:-}")
$(server "$TLS_MISMATCH_PORT" mismatch)
$(server "$TLS_EXPIRED_PORT" expired)
}
CONF
    /usr/sbin/nginx -c "$n/nginx.conf" -p "$n" >"$n/logs/stdout.log" 2>&1 &
    SERVER_PIDS+=($!)
    wait_port "$TLS_GOOD_PORT" && wait_port "$TLS_MISMATCH_PORT" && wait_port "$TLS_EXPIRED_PORT"
}
