"""Command line: `canteen-camera run` (all cameras, supervised) and `canteen-camera analyze VIDEO`."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from camera.config import DetectorSettings
from camera.configfile import ConfigError, load_camera_config
from camera.detector import DetectedEvent
from camera.region import parse_polygon

EXIT_USAGE = 2
EXIT_DECODE = 3


def _polygon(text: str) -> list[tuple[float, float]]:
    try:
        return parse_polygon(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    """Argument parser for both sub-commands."""
    parser = argparse.ArgumentParser(prog="canteen-camera", description="Tray-return camera worker.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run every configured camera until SIGTERM/SIGINT")
    run.add_argument("--config", default=None,
                     help="path of config.yaml (default: $CANTEEN_CONFIG, else ./config.yaml)")

    ana = sub.add_parser("analyze", help="analyse a recorded video file")
    ana.add_argument("video", help="video file")
    ana.add_argument("--roi", type=_polygon,
                     help="region as x1,y1,x2,y2,... in 0-1 (two points: a rectangle)")
    ana.add_argument("--mask", type=_polygon, action="append", default=[],
                     help="exclusion polygon in 0-1, repeatable")
    ana.add_argument("--fps", type=float, default=5.0, help="analysis rate (default: %(default)s)")
    ana.add_argument("--out", type=Path, help="write each event's evidence into this directory")
    ana.add_argument("--json", action="store_true",
                     help="print one JSON object per event on stdout, nothing else")
    return parser


def cmd_analyze(args: argparse.Namespace) -> int:
    """Analyse one file and report its events."""
    from camera.analyze import DecodeError, analyze_file, ended_early, event_json, print_summary

    def emit(ev: DetectedEvent) -> None:
        """Print each event as soon as it is found."""
        if args.json:
            sys.stdout.write(event_json(ev) + "\n")
            sys.stdout.flush()

    try:
        if args.fps <= 0:
            raise ValueError("--fps must be positive")
        result = analyze_file(args.video, roi=args.roi, masks=args.mask, analysis_fps=args.fps,
                              detector=DetectorSettings(), out_dir=args.out, progress=True, on_event=emit)
    except DecodeError as exc:
        print(f"canteen-camera: error: {exc}", file=sys.stderr)
        return EXIT_DECODE
    except ValueError as exc:
        print(f"canteen-camera: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.json:
        print_summary(result, sys.stdout)
    if ended_early(result):
        print(f"canteen-camera: error: decoding stopped after {result.frames_read} of {result.frame_count} "
              f"frames; the file is damaged or truncated (events up to there were reported)", file=sys.stderr)
        return EXIT_DECODE
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run every enabled camera under the supervisor."""
    from camera.supervisor import Supervisor, token_from_env

    try:
        config = load_camera_config(args.config)
    except ConfigError as exc:
        print(f"canteen-camera: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    ws = config.camera_worker
    enabled = [c for c in config.cameras if c.enabled]
    if not enabled:
        print("canteen-camera: error: no enabled camera in the configuration", file=sys.stderr)
        return EXIT_USAGE
    token = token_from_env(ws)
    if token is None:
        logging.warning("environment variable %s is not set: the service will refuse uploads", ws.token_env)
    sup = Supervisor(enabled, ws, token)
    sup.install_signal_handlers()
    return sup.run()


def main(argv: list[str] | None = None) -> int:
    """Console script entry point."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "analyze":
        return cmd_analyze(args)
    return cmd_run(args)


if __name__ == "__main__":
    sys.exit(main())
