#!/usr/bin/env python3
"""No-change pass over a WebDAV share of 1,000 files, against the same pass over a folder.

    python3 tests/bench_webdav.py --bin target/release/participa [--files 1000] [--runs 5]

Makes 10 organismo folders of 100 small CSV files, serves them with wsgidav (the tools venv of
.ci/install-report-tools) on loopback with Basic authentication, consolidates them once through
a WebDAV source and once through a folder source, then times `participa ingest` over the
unchanged files `--runs` times each (median), and counts the server's PROPFIND and GET requests
of the timed WebDAV passes from its log. Prints one line per figure. Not a test: run it on a
quiet machine (BENCHMARKS.md).
"""
import argparse, os, shutil, socket, statistics, subprocess, sys, tempfile, time

VENV = os.environ.get("PARTICIPA_TOOLS_VENV", "/opt/participa-report-tools")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def timed(binary, ws):
    t0 = time.perf_counter()
    p = subprocess.run([binary, "ingest"], cwd=ws, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"ingest failed: {p.stdout}\n{p.stderr}")
    return elapsed, p.stdout


def workdir(binary, tmp, name, sources):
    ws = os.path.join(tmp, name)
    subprocess.run([binary, "init", ws], check=True, capture_output=True)
    path = os.path.join(ws, "participa.toml")
    text = open(path).read()
    start = text.index("\n[[sources]]\n") + 1
    end = text.index("\n[ingest]\n") + 1
    text = text[:start] + sources + "\n\n" + text[end:]
    open(path, "w").write(text.replace("settle_seconds = 5", "settle_seconds = 1"))
    return ws


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    tmp = tempfile.mkdtemp(prefix="participa-bench-webdav-")
    share = os.path.join(tmp, "share")
    when = int(time.time()) - 600
    folders = 10
    for i in range(a.files):
        d = os.path.join(share, f"organismo-{i % folders}")
        os.makedirs(d, exist_ok=True)
        f = os.path.join(d, f"reuniones-{i:04}.csv")
        with open(f, "w") as out:
            out.write("Programa;Fecha;Barrio;Participantes\n")
            out.write(f"BA Elige;{1 + i % 28:02}/03/2019;Palermo;{i}\n")
        os.utime(f, (when, when))
    port = free_port()
    conf = os.path.join(tmp, "wsgidav.yaml")
    open(conf, "w").write(
        f'host: 127.0.0.1\nport: {port}\nprovider_mapping:\n  "/": "{share}"\n'
        "http_authenticator:\n  accept_basic: true\n  accept_digest: false\n  default_to_digest: false\n"
        'simple_dc:\n  user_mapping:\n    "*":\n      "lector":\n        password: "clave"\n'
        "verbose: 3\ndir_browser:\n  enable: false\n")
    log_path = os.path.join(tmp, "wsgidav.log")
    log = open(log_path, "w")
    server = subprocess.Popen([os.path.join(VENV, "bin/wsgidav"), "--config", conf], stdout=log, stderr=log)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        net = workdir(binary, tmp, "ws-webdav",
                      f'[[sources]]\nname = "local"\ntipo = "webdav"\nurl = "http://127.0.0.1:{port}/"\n'
                      'usuario = "lector"\nclave_archivo = "clave.txt"\n')
        open(os.path.join(net, "clave.txt"), "w").write("clave\n")
        folder = workdir(binary, tmp, "ws-carpeta", f'[[sources]]\nname = "local"\npath = "{share}"\n')
        for ws in (net, folder):
            _, out = timed(binary, ws)
            if f"{a.files} nuevos" not in out:
                sys.exit(f"the first pass did not take every file: {out[-400:]}")
        counts = lambda: (sum('"PROPFIND ' in l for l in open(log_path)), sum('"GET ' in l for l in open(log_path)))
        propfind0, get0 = counts()
        results = {}
        for name, ws in (("webdav", net), ("carpeta", folder)):
            times = []
            for _ in range(a.runs):
                t, out = timed(binary, ws)
                if f"{a.files} sin cambios" not in out:
                    sys.exit(f"{name}: not a no-change pass: {out[-400:]}")
                times.append(t)
            results[name] = statistics.median(times)
        propfind1, get1 = counts()
        print(f"files: {a.files} in {folders} folders; runs: {a.runs} each (median)")
        print(f"no-change pass over WebDAV: {results['webdav']:.3f} s")
        print(f"no-change pass over a folder: {results['carpeta']:.3f} s")
        print(f"ratio webdav / folder: {results['webdav'] / results['carpeta']:.2f}")
        print(f"requests per WebDAV pass: {(propfind1 - propfind0) / a.runs:.0f} PROPFIND, {(get1 - get0) / a.runs:.0f} GET")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
