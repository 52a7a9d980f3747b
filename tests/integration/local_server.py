"""The listener the test servers share (fault_server.py, hostile_server.py):
a threaded HTTP server on 127.0.0.1 and an ephemeral port, written to
PORT_FILE once it listens (atomically: a reader never sees half a number),
that stops on SIGTERM or after LIFETIME seconds so a test that dies never
leaves it behind."""
import http.server
import os
import signal
import socketserver
import threading


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(handler, port_file, lifetime=600.0):
    srv = Server(("127.0.0.1", 0), handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    timer = threading.Timer(lifetime, srv.shutdown)
    timer.daemon = True
    timer.start()
    srv.serve_forever()
