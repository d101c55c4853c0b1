"""Safe-share job throughput: a batch of clips through 1 and then 2 Celery workers (each pinned to one
core, so one thread each), the speed-up between them, and upload-to-review time for a long 1080p clip
sent over HTTP to the served app and redacted by its in-process pool (the default of `wardsafe serve`).

    PYTHONPATH=src python bench/jobs.py [--clips 6] [--long-seconds 60]

Needs Debian's redis-server. Prints figures with the load average beside them; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import av

from wardsafe.jobs import celery_queue
from wardsafe.jobs.files import recording_folder
from wardsafe.jobs.local import LocalQueue
from wardsafe.permits.model import DecisionKind, Media, Purpose
from wardsafe.store.db import init_db
from wardsafe.store.policy_source import load_policy
from wardsafe.store.service import NewRequest, PermissionService

SAMPLE = Path(__file__).parents[1] / "src" / "wardsafe" / "samples" / "ward_clip.mp4"
KEY = b"bench-audit-key-0123456789abcdef"


def load() -> str:
    """The 1-minute load average, printed beside every figure."""
    return f"load {os.getloadavg()[0]:.2f}"


def make_clip(out: Path, seconds: float, width: int, height: int) -> Path:
    """The ward sample looped to ``seconds`` and scaled to ``width`` x ``height`` (H.264, 30 fps)."""
    with av.open(str(SAMPLE)) as source:
        frames = [f.to_ndarray(format="rgb24", width=width, height=height) for f in source.decode(video=0)]
    count = int(seconds * 30)
    with av.open(str(out), "w") as target:
        stream = target.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, 30)
        for i in range(count):
            frame = av.VideoFrame.from_ndarray(frames[i % len(frames)], format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                target.mux(packet)
        for packet in stream.encode():
            target.mux(packet)
    return out


def new_service(folder: Path) -> tuple[PermissionService, str]:
    url = f"sqlite:///{folder / 'bench.db'}"
    service = PermissionService(init_db(url), load_policy(), audit_key=KEY)
    service.add_staff("alice", "Alice", "alice-password-long", "staff", ["radiotherapy-1"])
    return service, url


def permit(service: PermissionService) -> str:
    created = service.create_request(NewRequest(
        area_id="radiotherapy-1", media=[Media.VIDEO], purpose=Purpose.FAMILY, patient_name="Sam",
        contact="07700 900123", staff=["alice"],
    ))  # fmt: skip
    staff_id = service.list_area_staff("radiotherapy-1")[0].id
    service.decide(staff_id, created.request.code, DecisionKind.AGREE)
    return created.token


def queue_clip(service: PermissionService, token: str, data: Path, clip: Path) -> str:
    recording_id = service.new_recording_id()
    original = recording_folder(data, recording_id) / "original.mp4"
    shutil.copyfile(clip, original)
    service.add_recording(token, recording_id, "video", str(original))
    return recording_id


def wait(service: PermissionService, ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [service.job_view(i).state for i in ids]
        if all(s not in ("queued", "running") for s in states):
            if any(s != "review" for s in states):
                raise SystemExit(f"error: jobs ended {states}")
            return
        time.sleep(0.2)
    raise SystemExit("error: jobs did not finish in time")


def batch(workers: int, clips: list[Path], work: Path, redis_url: str) -> float:
    """Seconds for ``clips`` through ``workers`` Celery workers, one core each."""
    folder = Path(tempfile.mkdtemp(dir=work))
    service, url = new_service(folder)
    token = permit(service)
    env = {**os.environ, "WARDSAFE_REDIS_URL": redis_url, "WARDSAFE_DATABASE_URL": url,
           "WARDSAFE_AUDIT_KEY": KEY.decode(), "WARDSAFE_DATA_DIR": str(folder)}  # fmt: skip
    processes = [
        subprocess.Popen(["taskset", "-c", str(i % (os.cpu_count() or 1)), sys.executable, "-m", "celery", "-A",
                          "wardsafe.jobs.celery_queue", "worker", "--pool", "solo", "--loglevel", "WARNING",
                          "-n", f"bench{i}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                         env=env)  # fmt: skip
        for i in range(workers)
    ]
    try:
        time.sleep(4)  # workers connect and load their models before the clock starts
        celery_queue.app.conf.broker_url = redis_url
        queue = celery_queue.CeleryQueue()
        started = time.monotonic()
        ids = [queue_clip(service, token, folder, clip) for clip in clips]
        for recording_id in ids:
            queue.submit(recording_id)
        wait(service, ids, 1800)
        return time.monotonic() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)


def upload_to_review(clip: Path, work: Path) -> tuple[float, float]:
    """(upload seconds, upload-to-review seconds) for ``clip`` sent over HTTP to the served app (uvicorn on a
    loopback port, multipart streamed as a phone's browser sends it) and redacted by its in-process pool."""
    import httpx
    import uvicorn

    from wardsafe.config import Settings
    from wardsafe.web import create_app
    from wardsafe.web.serving import uvicorn_config

    folder = Path(tempfile.mkdtemp(dir=work))
    service, _ = new_service(folder)
    token = permit(service)
    queue = LocalQueue(service, 1)
    port = free_port()
    app = create_app(Settings(data_dir=folder, public_url=f"http://127.0.0.1:{port}"), service=service, queue=queue)
    config = uvicorn_config(app, "127.0.0.1", port)
    config.log_level, config.lifespan = "warning", "off"
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        started = time.monotonic()
        with clip.open("rb") as body:
            answer = httpx.post(f"http://127.0.0.1:{port}/api/requests/{token}/recordings",
                                files={"file": (clip.name, body, "video/mp4")}, timeout=600)
        uploaded = time.monotonic() - started
        if answer.status_code != 202:
            raise SystemExit(f"error: upload answered {answer.status_code}: {answer.text[:200]}")
        wait(service, [answer.json()["id"]], 3600)
        return uploaded, time.monotonic() - started
    finally:
        server.should_exit = True
        thread.join(10)
        queue.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=6, help="clips in the batch (ward sample, 3.5 s 640x360)")
    parser.add_argument("--long-seconds", type=float, default=60, help="length of the 1080p clip (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        port = free_port()
        redis = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
                                 stdout=subprocess.DEVNULL)  # fmt: skip
        try:
            time.sleep(0.5)
            url = f"redis://127.0.0.1:{port}/0"
            clips = [SAMPLE] * args.clips
            one = batch(1, clips, work, url)
            print(f"batch of {args.clips} clips, 1 worker:  {one:7.1f} s   ({load()})")
            two = batch(2, clips, work, url)
            print(f"batch of {args.clips} clips, 2 workers: {two:7.1f} s   ({load()})")
            print(f"speed-up 2 workers / 1 worker: {one / two:.2f}x")
        finally:
            redis.terminate()
            redis.wait(10)
        if args.long_seconds:
            clip = make_clip(work / "long.mp4", args.long_seconds, 1920, 1080)
            size_mb = clip.stat().st_size / 1e6
            uploaded, seconds = upload_to_review(clip, work)
            print(f"{args.long_seconds:.0f} s 1080p clip ({size_mb:.0f} MB): upload over HTTP {uploaded:5.1f} s, "
                  f"upload-to-review {seconds:7.1f} s   ({load()})")


if __name__ == "__main__":
    main()
