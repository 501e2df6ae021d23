"""Socket activation as systemd does it, for tests: bind the sockets named on
the command line (port 0 allowed, unlike systemd-socket-activate), move them
to descriptors 3, 4, ..., set LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID, and
exec the command at once. execve keeps our pid, so LISTEN_PID is os.getpid().

usage: activate.py {tcp|udp}:NAME[@HOST:PORT] ... -- COMMAND [ARG...]
(the address defaults to 127.0.0.1:0)
"""
import fcntl
import os
import socket
import sys

FIRST_FD = 3  # SD_LISTEN_FDS_START


def bind(spec):
    kind, _, rest = spec.partition(":")
    name, _, addr = rest.partition("@")
    host, _, port = (addr or "127.0.0.1:0").rpartition(":")
    stype = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM}[kind]
    sock = socket.socket(socket.AF_INET, stype)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, int(port)))
    if stype == socket.SOCK_STREAM:
        sock.listen(128)
    return name, sock


def main(argv):
    split = argv.index("--")
    bound = [bind(spec) for spec in argv[1:split]]
    # Park every socket above the target range first, so moving one to its
    # place never closes another.
    parked = [fcntl.fcntl(sock.fileno(), fcntl.F_DUPFD, 100) for _, sock in bound]
    for _, sock in bound:
        sock.close()
    for i, fd in enumerate(parked):
        os.dup2(fd, FIRST_FD + i)  # inheritable by default
        os.close(fd)
    env = dict(os.environ, LISTEN_FDS=str(len(bound)), LISTEN_PID=str(os.getpid()),
               LISTEN_FDNAMES=":".join(name for name, _ in bound))
    os.execve(argv[split + 1], argv[split + 1:], env)


if __name__ == "__main__":
    main(sys.argv)
