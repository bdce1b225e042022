#!/usr/bin/python3
"""cibus_client.py - a cibus client in Python, written from docs/PROTOCOL.md.

It publishes one data table (a total and any number of cells), waits for
the broker's Ack, then subscribes with from_seq=1 and reads the table back
by replay, granting credit as the protocol asks (PROTOCOL.md 4.4), and
prints it.

It needs nothing but Debian's python3-zmq and python3-protobuf and the
module protoc generates from proto/cibus.proto:

    protoc --python_out=build/py -Iproto proto/cibus.proto   # or: make build/py/cibus_pb2.py
    PYTHONPATH=build/py /usr/bin/python3 docs/examples/cibus_client.py \\
        --broker tcp://127.0.0.1:5570 --broker-key var/broker --key alice_secret \\
        --network early-literacy --indicator k3-reading --period 2026-Q3 \\
        --total 254/412 --cell race=black:52/160 --cell race=white:190/240

The indicator must be in the catalogue first (the backbone defines it, e.g.
with `cibus indicator define`). Exit codes, as the cibus command's: 0 done,
1 refused or failed (the reason on stderr), 2 usage error.
"""

import argparse
import datetime
import hashlib
import os
import sys
import time

import zmq
from zmq.utils import z85
from zmq.utils.monitor import recv_monitor_message

try:
    import cibus_pb2 as pb
except ImportError:
    sys.exit("cibus_client: the module cibus_pb2 is missing: generate it with\n"
             "  protoc --python_out=build/py -Iproto proto/cibus.proto\n"
             "and put its directory on PYTHONPATH (PYTHONPATH=build/py)")

MAX_FRAME = 1048576            # CIBUS_MAX_FRAME (PROTOCOL.md 6.1)
DEFAULT_ENDPOINT = "tcp://127.0.0.1:5570"


class Failure(Exception):
    """Something the broker refused, or that did not happen in time."""


# ------------------------------------------------------------------- keys

def read_zpl(path):
    """The properties of a czmq certificate file (ZeroMQ Property Language,
    rfc.zeromq.org/spec/4): sections by indentation of 4 spaces, lines
    `name = "value"`, comments from `#`. Returns {"curve/public-key": ...}."""
    props, stack = {}, []
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            line = line.rstrip("\r\n")
            stripped = line.lstrip(" ")
            if not stripped or stripped.startswith("#"):
                continue
            indent = len(line) - len(stripped)
            if indent % 4:
                raise Failure(f"{path}:{number}: indentation is not a multiple of 4 spaces")
            name, sep, value = stripped.partition("=")
            name, value = name.strip(), value.strip()
            del stack[indent // 4:]
            if len(stack) != indent // 4:
                raise Failure(f"{path}:{number}: '{name}' is indented under nothing")
            if sep:
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                    value = value[1:-1]
                else:
                    value = value.split("#", 1)[0].strip()
                props["/".join(stack + [name])] = value
            stack.append(name)
    return props


def z85_key(text, what):
    if len(text) != 40:
        raise Failure(f"{what} is not a 40-character Z85 CURVE key")
    try:
        z85.decode(text.encode("ascii"))
    except Exception:
        raise Failure(f"{what} is not a 40-character Z85 CURVE key") from None
    return text.encode("ascii")


def load_secret_cert(path):
    """The client's keypair from a czmq secret certificate (`cibus keygen
    NAME` writes NAME_secret): curve/public-key and curve/secret-key, Z85."""
    try:
        props = read_zpl(path)
    except OSError as err:
        raise Failure(f"cannot read the secret certificate {path}: {err.strerror}") from None
    if "curve/secret-key" not in props:
        raise Failure(f"{path} holds no curve/secret-key: pass the secret certificate "
                      "(NAME_secret), not the public one")
    secret = z85_key(props["curve/secret-key"], f"the secret key in {path}")
    public = zmq.curve_public(secret)
    if "curve/public-key" in props and z85_key(props["curve/public-key"],
                                               f"the public key in {path}") != public:
        raise Failure(f"{path}: its public key is not the one of its secret key")
    return public, secret


def load_broker_key(given):
    """The broker's public key: a czmq certificate file (DATA_DIR/broker) or
    the 40-character Z85 text itself (PROTOCOL.md 1.2)."""
    if os.path.exists(given):
        try:
            props = read_zpl(given)
        except OSError as err:
            raise Failure(f"cannot read the broker's certificate {given}: {err.strerror}") from None
        if "curve/public-key" not in props:
            raise Failure(f"{given} holds no curve/public-key")
        return z85_key(props["curve/public-key"], f"the public key in {given}")
    if len(given) != 40:
        raise Failure(f"--broker-key '{given}' is neither a file nor a 40-character Z85 key")
    return z85_key(given, f"--broker-key '{given}'")


# ------------------------------------------------------------- connection

class Connection:
    """A DEALER socket with CURVE (PROTOCOL.md 1.1, 1.2) and a monitor that
    tells a finished handshake from a refused one (1.3, 1.5)."""

    EVENTS = (zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH
              | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
              | zmq.EVENT_DISCONNECTED)

    def __init__(self, endpoint, broker_key, public, secret, timeout):
        self.endpoint, self.timeout = endpoint, timeout
        self.context = zmq.Context()
        self.sock = self.context.socket(zmq.DEALER)     # never ZMQ_ROUTING_ID (1.1)
        self.sock.curve_serverkey = broker_key
        self.sock.curve_publickey = public
        self.sock.curve_secretkey = secret
        self.sock.linger = 0
        self.sock.maxmsgsize = 2 * MAX_FRAME            # a Deliver is well under it (1.4)
        # A send must never block for ever: after a refused handshake the
        # DEALER has no peer (1.3). Sends happen only after a handshake.
        self.sock.sndtimeo = int(timeout * 1000)
        self.sock.heartbeat_ivl = 5000                  # ZMTP heartbeats (12), optional
        self.sock.heartbeat_timeout = 15000
        self.monitor = self.sock.get_monitor_socket(self.EVENTS)
        self.up, self.failed = False, 0
        self.sock.connect(endpoint)
        self.poller = zmq.Poller()
        self.poller.register(self.sock, zmq.POLLIN)
        self.poller.register(self.monitor, zmq.POLLIN)

    def close(self):
        self.sock.disable_monitor()
        self.monitor.close(linger=0)
        self.sock.close(linger=0)
        self.context.term()

    def send(self, request):
        frame = request.SerializeToString()
        if len(frame) > MAX_FRAME:
            raise Failure(f"the request is {len(frame)} bytes, over the limit of {MAX_FRAME}")
        try:
            self.sock.send(frame)                       # exactly one frame (1.4)
        except zmq.Again:
            raise Failure(f"could not send to {self.endpoint} within {self.timeout:g} s") from None
        return frame

    def resend(self, frame):
        try:
            self.sock.send(frame)
        except zmq.Again:
            raise Failure(f"could not send to {self.endpoint} within {self.timeout:g} s") from None

    def _event(self):
        """Read one monitor event; returns "up" when a handshake (re)succeeded."""
        event = recv_monitor_message(self.monitor)["event"]
        if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            self.up, self.failed = True, 0
            return "up"
        if event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            # The broker sends nothing else, and libzmq does not reconnect (1.3).
            raise Failure("the broker refused this key: it is not in the partner registry "
                          "(the backbone registers it with `cibusd partner add`)")
        if event in (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL):
            # What a client meets when --broker-key is not the broker's key:
            # the broker cannot open the HELLO and drops the connection; libzmq
            # then reconnects and fails the same way, every 100 ms.
            self.failed += 1
            if self.failed >= 3:
                raise Failure(f"the CURVE handshake with {self.endpoint} failed "
                              f"{self.failed} times: is --broker-key the public key of "
                              "the broker there?")
        if event == zmq.EVENT_DISCONNECTED:
            self.up = False                             # libzmq reconnects by itself
        return None

    def wait_up(self, deadline):
        """Wait for the CURVE handshake, up to deadline (time.monotonic())."""
        while not self.up:
            left = deadline - time.monotonic()
            if left <= 0 or not self.monitor.poll(int(left * 1000)):
                raise Failure(f"no CURVE handshake with {self.endpoint} within "
                              f"{self.timeout:g} s: is the broker running there, and is "
                              "--broker-key its public key?")
            self._event()

    def receive(self, deadline):
        """The next Reply, or the string "reconnected" after the connection
        dropped and came back (the subscription and replies in flight are
        then lost, 1.5), or None when nothing is waiting any more (after
        a first wait up to deadline)."""
        while True:
            wait = max(0, deadline - time.monotonic())
            events = dict(self.poller.poll(int(wait * 1000)))
            if not events:
                return None
            if self.monitor in events:
                was_up = self.up
                if self._event() == "up" and not was_up:
                    return "reconnected"
                continue
            reply = pb.Reply()
            try:
                reply.ParseFromString(self.sock.recv())
            except Exception:
                raise Failure("the broker sent a frame that is not a cibus Reply") from None
            return reply

def describe_error(error):
    text = error.code or "rejected"
    if error.HasField("field"):
        text += f" ({error.field})"
    return f"{text}: {error.message}" if error.message else text


# ------------------------------------------------------------------ table

def parse_cell_value(cell, text, what):
    """NUM/DEN, VALUE@N, *, */SIZE or *@N (the forms of `cibus submit`)."""
    try:
        if text == "*":
            cell.suppressed = True
        elif text.startswith("*/"):
            cell.suppressed, cell.denominator = True, int(text[2:])
        elif text.startswith("*@"):
            cell.suppressed, cell.n = True, int(text[2:])
        elif "/" in text:
            num, den = text.split("/", 1)
            cell.numerator, cell.denominator = int(num), int(den)
        elif "@" in text:
            value, n = text.split("@", 1)
            cell.value, cell.n = float(value), int(n)
        else:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{what} '{text}' is not NUM/DEN, VALUE@N, *, */SIZE or *@N") from None


def build_table(args):
    data = pb.DataSubmission(indicator=args.indicator, period=args.period)
    if args.unit:
        data.unit = args.unit                           # present and empty is refused (2.1)
    if args.owner:
        data.owner = args.owner
    parse_cell_value(data.total, args.total, "--total")
    for arg in args.cell:
        categories, sep, value = arg.rpartition(":")
        if not sep or not categories:
            raise argparse.ArgumentTypeError(f"--cell '{arg}' is not CATEGORIES:VALUE, "
                                             "e.g. race=black:52/160")
        cell = data.cells.add()
        for pair in categories.split(","):
            key, sep, category = pair.partition("=")
            if not sep:
                raise argparse.ArgumentTypeError(f"--cell '{arg}': '{pair}' is not "
                                                 "dimension=category")
            cell.dimensions.add(key=key, value=category)
        parse_cell_value(cell, value, f"--cell {categories}")
    if args.status:
        data.status = pb.ValueStatus.Value(args.status.upper())
    if args.source:
        data.source = args.source
    return data


def format_number(number):
    return repr(number) if number != int(number) else str(int(number))


def format_cell(cell):
    """What a reader was given of one cell, whole, masked or coded (7.6):
    the numbers, and a note."""
    disclosure = cell.disclosure if cell.HasField("disclosure") else 0
    if disclosure in (pb.HIDDEN_SMALL, pb.HIDDEN_COMPLEMENT):
        why = "small" if disclosure == pb.HIDDEN_SMALL else "complement"
        return "*", f"hidden ({why})"
    if disclosure == pb.CODED:
        low, high = format_number(cell.low), format_number(cell.high)
        size = cell.denominator if cell.HasField("denominator") else cell.n
        return (f"<={high}" if cell.low == 0 else f">={low}"), f"coded, of {size}"
    if cell.suppressed:
        if cell.HasField("denominator"):
            return f"*/{cell.denominator}", "suppressed at source"
        if cell.HasField("n"):
            return f"*@{cell.n}", "suppressed at source"
        return "*", "suppressed at source"
    if cell.HasField("numerator"):
        value = format_number(cell.value) if cell.HasField("value") else ""
        return f"{cell.numerator}/{cell.denominator}", value
    value = format_number(cell.value) if cell.HasField("value") else "-"
    return value + (f"@{cell.n}" if cell.HasField("n") else ""), ""


def print_table(env):
    data = env.data
    received = datetime.datetime.fromtimestamp(env.received_at / 1e6, datetime.timezone.utc)
    head = f"#{env.seq} {env.topic} {data.indicator} {data.period}"
    if data.HasField("unit"):
        head += f" unit {data.unit}"
    head += f" owner {data.owner} version {data.version}"
    if data.HasField("status"):
        head += " " + pb.ValueStatus.Name(data.status).lower()
    if data.masked:
        head += " (masked)"
    if data.superseded:
        head += " (superseded: no values left)"
    print(head)
    print(f"  sent by {env.partner}, id {env.id}, received "
          f"{received.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}")
    rows = []
    if data.HasField("total"):
        rows.append(("total", data.total))
    for cell in data.cells:
        rows.append((",".join(f"{d.key}={d.value}" for d in cell.dimensions), cell))
    rows = [(name,) + format_cell(cell) for name, cell in rows]
    width = max(len(name) for name, _, _ in rows)
    shown = max(len(numbers) for _, numbers, _ in rows)
    for name, numbers, note in rows:
        print(f"  {name:<{width}}  {numbers:<{shown}}  {note}".rstrip())


# --------------------------------------------------------------- protocol

def ping(conn, deadline):
    """Ping -> Pong: who the broker thinks this key is (5.1)."""
    request = pb.Request()
    request.ping.token = 1
    conn.send(request)
    while True:
        reply = conn.receive(deadline)
        if reply is None:
            raise Failure(f"no answer from the broker within {conn.timeout:g} s")
        if reply == "reconnected":
            conn.send(request)
            continue
        kind = reply.WhichOneof("kind")
        if kind == "pong":
            return reply.pong
        if kind == "error":
            raise Failure(describe_error(reply.error))


def publish(conn, envelope, deadline):
    """Publish and wait for the Ack or Error carrying this id (2.3, 3.4)."""
    request = pb.Request()
    request.publish.envelope.CopyFrom(envelope)
    frame = conn.send(request)
    while True:
        reply = conn.receive(deadline)
        if reply is None:
            raise Failure(f"no Ack for '{envelope.id}' within {conn.timeout:g} s (publishing "
                          "it again with the same id is safe)")
        if reply == "reconnected":
            conn.resend(frame)                          # same id: a duplicate at worst (3.6)
            continue
        kind = reply.WhichOneof("kind")
        if kind == "ack" and reply.ack.id == envelope.id:
            return reply.ack
        if kind == "error":
            error = reply.error
            if error.HasField("id") and error.id != envelope.id:
                continue
            if error.code == "store":                   # nothing stored: retry (3.4)
                conn.resend(frame)
                continue
            # Any other refusal of this id, or one without an id: only one
            # request is outstanding, and `unknown-key` carries no id (1.3).
            raise Failure(describe_error(error))


def read_back(conn, network, seq, window, timeout):
    """Subscribe from seq 1 and replay until the entry `seq` has arrived;
    grant credit as PROTOCOL.md 4.4 and 12 say. Returns the entry and counts."""
    last_seq = 0            # last seq processed
    consumed = 0            # Delivers processed since the last Credit
    counting = False        # False between sending Subscribe and receiving Subscribed
    owe = False             # a Heartbeat asked for the credit of what was processed
    stats = {"delivered": 0, "credits": 0, "heartbeats": 0}

    def subscribe():
        request = pb.Request()
        request.subscribe.prefixes.append(f"{network}/data")
        request.subscribe.from_seq = last_seq + 1
        request.subscribe.credit = window
        conn.send(request)

    def grant(count):
        request = pb.Request()
        request.credit.credit = count
        conn.send(request)
        stats["credits"] += 1

    subscribe()
    found = None
    while found is None:
        reply = conn.receive(time.monotonic() + timeout)
        if reply is None:
            raise Failure(f"entry {seq} was not replayed: nothing arrived for {timeout:g} s "
                          f"(last seq received: {last_seq})")
        while reply is not None and found is None:
            if reply == "reconnected":                  # the subscription is gone (1.5)
                counting = False
                subscribe()
            else:
                kind = reply.WhichOneof("kind")
                if kind == "subscribed":
                    consumed, counting = 0, True
                elif kind == "deliver":                 # one entry or several (4.3)
                    for data in reply.deliver.envelopes:
                        env = pb.Envelope()
                        env.ParseFromString(data)
                        stats["delivered"] += 1
                        if env.seq > last_seq:          # drop repeats after a resubscribe
                            last_seq = env.seq
                            if env.seq == seq:
                                found = env
                        if counting:                    # credit counts entries (4.4)
                            consumed += 1
                            if consumed >= max(1, window // 2):
                                grant(consumed)
                                consumed = 0
                elif kind == "heartbeat":
                    stats["heartbeats"] += 1
                    owe = True
                elif kind == "error":
                    error = reply.error
                    if error.code == "usage":           # Credit without a subscription (4.6)
                        counting = False
                        subscribe()
                    elif not error.HasField("id"):      # subscribe refused, key removed, ...
                        raise Failure(describe_error(error))
            # Everything received is processed: pay back what a Heartbeat asked for.
            reply = conn.receive(0) if found is None else None
        if owe and counting and consumed > 0:
            grant(consumed)
            consumed, owe = 0, False
    return found, stats


# ------------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(
        description="Publish a data table to a cibus broker, then read it back by replay.")
    parser.add_argument("--broker", default=os.environ.get("CIBUS_BROKER", DEFAULT_ENDPOINT),
                        help="the broker's endpoint (env CIBUS_BROKER; default %(default)s)")
    parser.add_argument("--broker-key", default=os.environ.get("CIBUS_BROKER_KEY"),
                        help="the broker's public certificate (DATA_DIR/broker) or its Z85 "
                             "key (env CIBUS_BROKER_KEY)")
    parser.add_argument("--key", required=True,
                        help="your secret certificate file (NAME_secret from `cibus keygen`)")
    parser.add_argument("--network", required=True, help="the network: topic NETWORK/data")
    parser.add_argument("--indicator", required=True, help="an indicator of the catalogue")
    parser.add_argument("--period", required=True, help="2025-26, 2026-Q3, 2026-09 or 2026-09-15")
    parser.add_argument("--unit", help="the reporting unit under the owner, e.g. a school")
    parser.add_argument("--for", dest="owner",
                        help="the partner the table belongs to (default: you)")
    parser.add_argument("--total", required=True, help="the total, e.g. 254/412 or 1250@40")
    parser.add_argument("--cell", action="append", default=[],
                        help="a cell, e.g. race=black:52/160 or race=black,income=low:20/70")
    parser.add_argument("--status", choices=["final", "provisional", "estimated"])
    parser.add_argument("--source", help="the system the values come from")
    parser.add_argument("--id", help="the envelope id (default: derived from the table, so "
                                     "that running this again is a duplicate)")
    parser.add_argument("--window", type=int, default=256,
                        help="the subscription's credit window (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds to wait for each step (default %(default)s)")
    parser.add_argument("--json", action="store_true",
                        help="print the entry read back as one JSON line")
    args = parser.parse_args()
    if not args.broker_key:
        parser.error("--broker-key is required (or set CIBUS_BROKER_KEY)")
    if not 1 <= args.window <= 65536 or args.timeout <= 0:
        parser.error("--window must be 1 to 65536 and --timeout above 0")
    try:
        data = build_table(args)
    except argparse.ArgumentTypeError as err:
        parser.error(str(err))

    envelope = pb.Envelope(topic=f"{args.network}/data", data=data)
    if args.id:
        envelope.id = args.id
    else:
        digest = hashlib.sha256(envelope.SerializeToString(deterministic=True)).hexdigest()
        envelope.id = "py-" + digest[:32]

    try:
        public, secret = load_secret_cert(args.key)
        broker_key = load_broker_key(args.broker_key)
        conn = Connection(args.broker, broker_key, public, secret, args.timeout)
    except Failure as err:
        print(f"cibus_client: {err}", file=sys.stderr)
        return 1
    except zmq.ZMQError as err:
        print(f"cibus_client: {args.broker}: {err}", file=sys.stderr)
        return 2
    try:
        conn.wait_up(time.monotonic() + args.timeout)
        pong = ping(conn, time.monotonic() + args.timeout)
        print(f"connected to {args.broker} as {pong.partner} ({pong.role})")

        ack = publish(conn, envelope, time.monotonic() + args.timeout)
        what = f"{data.indicator} {data.period} to {envelope.topic}, id {envelope.id}"
        if ack.duplicate:
            print(f"published {what}: a duplicate of seq {ack.seq}")
        else:
            print(f"published {what}: seq {ack.seq}, version {ack.version}")

        env, stats = read_back(conn, args.network, ack.seq, args.window, args.timeout)
        print(f"read back by replay from seq 1: {stats['delivered']} entries delivered, "
              f"credit granted {stats['credits']} times, window {args.window}")
        if args.json:
            from google.protobuf import json_format
            print(json_format.MessageToJson(env, preserving_proto_field_name=True, indent=None))
        else:
            print_table(env)
        return 0
    except Failure as err:
        print(f"cibus_client: {err}", file=sys.stderr)
        return 1
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
