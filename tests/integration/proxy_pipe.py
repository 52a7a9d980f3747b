"""What the test proxies share: copying one direction of a TCP connection
(optionally cut after a number of bytes) and serving on a loopback port that
is written to a file once it listens."""
import os
import socket
import threading


def pipe(src, dst, limit, chunk=65536):
    """Copy src to dst until src ends or `limit` bytes (None: no limit) have
    gone; then shut both down, so the other direction ends too."""
    sent = 0
    try:
        while True:
            data = src.recv(chunk)
            if not data:
                break
            if limit is not None and sent + len(data) >= limit:
                dst.sendall(data[: limit - sent])
                break
            dst.sendall(data)
            sent += len(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(handle, portfile, backlog=16):
    """Listen on a free loopback port, write it to portfile (whole, by
    rename), and run handle(client) in a thread per connection, forever."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(backlog)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()
