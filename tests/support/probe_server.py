"""A small HTTP server for the reliability tests' URL probes (python3's http.server, standard library only).

    python3 probe_server.py HOST VIDEO_FILE
prints the port it listens on, then serves until killed:
    /video.mp4          the video file's bytes
    /text               a short text, not a video
    /redirect?to=URL    302 to URL
    /slow               a response that sends one byte a second, forever
"""
import http.server
import socketserver
import sys
import time
import urllib.parse

HOST, VIDEO = sys.argv[1], sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/video.mp4":
            data = open(VIDEO, "rb").read()
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif url.path == "/text":
            data = b"this is not a video\n" * 100
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif url.path == "/redirect":
            to = urllib.parse.parse_qs(url.query)["to"][0]
            self.send_response(302)
            self.send_header("Location", to)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif url.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(10 ** 7))
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


server = Server((HOST, 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
