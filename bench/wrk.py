"""HTTP load with ``wrk`` (a C client that does not top out before the server does).

A Lua script posts JSON bodies read from a file, one per line, with a Bearer token; the
phone of each complaint is made unique per request (thread number + counter) so not
every registration is a repeat, and the merchant's outlet is drawn per request (one of
``data.OUTLETS``), so the same 400 bodies do not make every merchant a mass complaint.
``done()`` prints one JSON line: requests, duration, status mix (counted in
``response()``), socket errors and latency percentiles.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import data

PHONE_MARK = "@@PHONE@@"
OUTLET_MARK = "@@OUTLET@@"  # the merchant's outlet: 1..data.OUTLETS, drawn per request

# Details a caller adds on the phone; they bring a body's text to the ~240 characters
# the comparison used.
DETAILS = [
    "当时店内有其他顾客在场，可以作证。",
    "已保留购物小票和聊天记录截图。",
    "商家负责人电话一直无人接听，前台工作人员表示无法处理。",
    "之前已向商场服务台反映过一次，答复三个工作日内处理，但至今没有结果。",
    "消费者情绪激动，表示如果得不到合理解决将向媒体反映。",
    "购买时销售人员口头承诺七天无理由退换，事后不予承认。",
    "家中老人因此事多次往返商场，身体不适。",
    "希望监管部门尽快介入调查，督促商家依法处理。",
]

LUA = r"""
local bodies = {}
local threads = {}
local counter = 0
statuses = {}  -- global: done() reads it from each thread
local mark = "@@PHONE@@"
local outlet_mark = "@@OUTLET@@"
local outlets = 3000
local index = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    table.insert(bodies, line)
  end
  wrk.method = "POST"
  wrk.path = args[2]
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[3]
  outlets = tonumber(args[4])
  index = id * 7919
  math.randomseed(id * 104729 + 17)
end

function request()
  counter = counter + 1
  index = index + 1
  local body = bodies[(index % #bodies) + 1]
  local phone = string.format("13%d%08d", id % 10, counter % 100000000)
  body = string.gsub(body, mark, phone, 1)
  body = string.gsub(body, outlet_mark, tostring(math.random(1, outlets)), 1)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local mix = {}
  for _, thread in ipairs(threads) do
    local seen = thread:get("statuses")
    for status, n in pairs(seen) do
      mix[status] = (mix[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(mix) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    '\nWRK-JSON {"requests": %d, "duration_us": %d, "statuses": {%s}, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, table.concat(parts, ", "),
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


class WrkError(RuntimeError):
    pass


@dataclass
class WrkResult:
    requests: int
    seconds: float
    statuses: dict[int, int]
    socket_errors: dict[str, int]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    cpu_s: float = 0.0  # CPU seconds the server's processes used during the run
    extra: dict = field(default_factory=dict)

    def ok(self, status: int) -> int:
        return self.statuses.get(status, 0)

    def rate(self, status: int) -> float:
        return self.ok(status) / self.seconds if self.seconds else 0.0

    def status_mix(self) -> str:
        mix = [f"{s}: {n:,}" for s, n in sorted(self.statuses.items())]
        mix += [f"{k} errors: {n:,}" for k, n in self.socket_errors.items() if n]
        return ", ".join(mix) or "no answers"


def available() -> str:
    """Empty when wrk is installed, else why not."""
    return "" if shutil.which("wrk") else "wrk is not installed (Debian package wrk)"


def write_bodies(path: Path, vocabulary: data.Vocabulary, *, count: int = 400, seed: int = 7):
    """``count`` registration bodies, one JSON per line, the phone left to the script;
    returns the mean length in characters of their text (title + description)."""
    rng = random.Random(seed)
    lengths = []
    with path.open("w", encoding="utf-8") as out:
        for _ in range(count):
            body = data.complaint(rng, when="今天", vocabulary=vocabulary, outlet=OUTLET_MARK)
            target = rng.randint(170, 300)
            while len(body["title"]) + len(body["description"]) < target:
                body["description"] += rng.choice(DETAILS)
            body["complainant"] = {**data.complainant(rng), "phone": PHONE_MARK}
            lengths.append(len(body["title"]) + len(body["description"]))
            out.write(json.dumps(body, ensure_ascii=False) + "\n")
    return sum(lengths) / len(lengths)


def run(
    base_url: str,
    path: str,
    token: str,
    bodies: Path,
    *,
    seconds: float,
    threads: int = 2,
    connections: int = 8,
    script_dir: Path,
    cpu_of=None,
) -> WrkResult:
    """One wrk run against ``base_url + path``; ``cpu_of()`` (if given) returns the
    server's CPU seconds so far, read before and after the run."""
    script = script_dir / "post.lua"
    script.write_text(LUA, encoding="utf-8")
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base_url,
        "--",
        str(bodies),
        path,
        token,
        str(data.OUTLETS),
    ]
    before = cpu_of() if cpu_of else 0.0
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, env={**os.environ, "LANG": "C"}
    )
    after = cpu_of() if cpu_of else 0.0
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK-JSON ")), None)
    if done.returncode != 0 or line is None:
        raise WrkError(f"wrk failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    found = json.loads(line.removeprefix("WRK-JSON "))
    return WrkResult(
        requests=found["requests"],
        seconds=found["duration_us"] / 1e6,
        statuses={int(k): v for k, v in found["statuses"].items()},
        socket_errors=found["errors"],
        p50_ms=found["p50_us"] / 1000,
        p95_ms=found["p95_us"] / 1000,
        p99_ms=found["p99_us"] / 1000,
        cpu_s=after - before,
    )
