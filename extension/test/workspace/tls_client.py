# A deliberately insecure client: the integration tests expect TLS lint
# diagnostics here, and a cipher-string hover on ECDH+AES128.
import socket
import ssl

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.set_ciphers('ECDH+AES128')

sock = socket.create_connection(("localhost", 1060))
tls = ssl.wrap_socket(sock)

API = "https://localhost:8443/v1"
