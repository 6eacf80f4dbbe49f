#!/usr/bin/env python3
"""A trainee of a self-paced course, speaking the consoles' websocket
protocol (web/PROTOCOL.md) with the standard library only.

  course_client.py PORT join CODE NAME
      joins the course (course.join, then course.poll while queued) and
      prints {"sandbox", "resume_token", "team", "granted_ms"}: granted_ms
      is the time from sending course.join to the welcome.
  course_client.py PORT answer TOKEN OBJECTIVE TEXT
      comes back with a resume token (course.resume) and answers a
      question; prints the reply.
  course_client.py PORT console TOKEN NODE COMMAND EXPECT
      comes back with a resume token, opens NODE's serial console, types
      COMMAND until the guest's output holds EXPECT (at most 90 s); exits
      non-zero when it never does.
  course_client.py PORT display TOKEN NODE
      comes back with a resume token, opens NODE's screen and prints the
      RFB greeting the guest's display sends.
  course_client.py PORT list PASSWORD
      as an instructor, prints the course view's list (course.list).
"""
import base64
import json
import os
import socket
import struct
import sys
import time


class Socket:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall((
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: enshu.v1\r\n\r\n"
            % (port, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.s.recv(1)
            if not chunk:
                raise SystemExit("the server closed the connection during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise SystemExit("no websocket: " + head.decode(errors="replace"))
        self.next_id = 1

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.s.recv(n - len(data))
            if not chunk:
                raise SystemExit("the server closed the connection")
            data += chunk
        return data

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.s.sendall(head + mask + body)

    def send(self, msg):
        msg = dict(msg, id=self.next_id)
        self.next_id += 1
        self._send_frame(1, json.dumps(msg).encode())
        return msg["id"]

    def receive(self):
        """The next text message (a dict); binary frames are skipped."""
        while True:
            op, message = self.receive_frame()
            if op == 1:
                return json.loads(message)

    def receive_frame(self):
        """The next message: (1, text bytes) or (2, binary bytes)."""
        message, opcode = b"", None
        while True:
            b0, b1 = self._read(2)
            op, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            if op == 9:  # ping
                self._send_frame(10, payload)
                continue
            if op == 8:
                raise SystemExit("the server closed the websocket: %r" % payload[2:])
            if op != 0:
                opcode = op
            message += payload
            if b0 & 0x80:
                return opcode, message

    def reply_to(self, rid):
        while True:
            m = self.receive()
            if m.get("id") == rid:
                return m


def join(port, code, name):
    ws = Socket(port)
    start = time.monotonic()
    reply = ws.reply_to(ws.send({"type": "course.join", "code": code, "name": name}))
    while reply.get("type") == "course.queued":
        time.sleep(1)
        reply = ws.reply_to(ws.send({"type": "course.poll", "ticket": reply["ticket"]}))
    granted_ms = (time.monotonic() - start) * 1000
    if reply.get("type") != "welcome":
        raise SystemExit("course.join: %s" % json.dumps(reply))
    course = reply["course"]
    print(json.dumps({"sandbox": course["sandbox"], "resume_token": course["resume_token"],
                      "team": reply["team"], "granted_ms": round(granted_ms, 1)}))


def answer(port, token, objective, text):
    ws = Socket(port)
    reply = ws.reply_to(ws.send({"type": "course.resume", "token": token}))
    if reply.get("type") != "welcome":
        raise SystemExit("course.resume: %s" % json.dumps(reply))
    reply = ws.reply_to(ws.send({"type": "answer", "objective": objective, "text": text}))
    print(json.dumps(reply))


def console(port, token, node, command, expect):
    ws = Socket(port)
    reply = ws.reply_to(ws.send({"type": "course.resume", "token": token}))
    if reply.get("type") != "welcome":
        raise SystemExit("course.resume: %s" % json.dumps(reply))
    reply = ws.reply_to(ws.send({"type": "console.open", "node": node}))
    if reply.get("type") != "console":
        raise SystemExit("console.open: %s" % json.dumps(reply))
    channel = reply["channel"]
    ws.s.settimeout(3)
    seen = b""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        ws.send({"type": "console.input", "channel": channel, "data": command + "\n"})
        try:
            while expect.encode() not in seen:
                op, data = ws.receive_frame()
                if op == 2 and data[:1] == bytes([channel]):
                    seen += data[1:]
        except socket.timeout:
            continue
        print("the console of %s shows %s" % (node, expect))
        return
    raise SystemExit("the console of %s never showed %s; it showed: %r" % (node, expect, seen[-400:]))


def display(port, token, node):
    ws = Socket(port)
    reply = ws.reply_to(ws.send({"type": "course.resume", "token": token}))
    if reply.get("type") != "welcome":
        raise SystemExit("course.resume: %s" % json.dumps(reply))
    reply = ws.reply_to(ws.send({"type": "display.open", "node": node, "view_only": True}))
    if reply.get("type") != "display":
        raise SystemExit("display.open: %s" % json.dumps(reply))
    while True:
        op, data = ws.receive_frame()
        if op == 2 and data[:1] == bytes([reply["channel"]]):
            print(data[1:13].decode(errors="replace").strip())
            return


def course_list(port, password):
    ws = Socket(port)
    reply = ws.reply_to(ws.send({"type": "hello", "version": 1, "role": "instructor",
                                 "password": password, "since": 0}))
    if reply.get("type") != "welcome":
        raise SystemExit("hello: %s" % json.dumps(reply))
    print(json.dumps(ws.reply_to(ws.send({"type": "course.list"}))))


if __name__ == "__main__":
    port, verb, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    {"join": join, "answer": answer, "console": console, "display": display,
     "list": course_list}[verb](port, *args)
