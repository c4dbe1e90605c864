# --svg FILE: the ladder diagram as SVG (src/sim/ladder_svg.h). Included from CMakeLists.txt.
# svg_check.py (written here at configure time) runs the tool, parses the SVG with a real XML
# parser (python3's xml.etree), counts segment arrows, lost-segment crosses and state labels,
# compares the arrow count with the text ladder the same run prints, renders the picture with
# rsvg-convert (Debian librsvg2-bin, scripts/install-deps) and checks the PNG's size from its
# header against the SVG's width and height.
find_program(PYTHON3 python3)
find_program(RSVG_CONVERT rsvg-convert)
set(svg_check ${CMAKE_CURRENT_BINARY_DIR}/svg_check.py)
file(WRITE ${svg_check} [=[
import re, struct, subprocess, sys, xml.etree.ElementTree as ET

# svg_check.py NAME SEGMENTS CROSSES STATES -- COMMAND... ; a count of -1 is not checked.
name, want_segments, want_crosses, want_states = sys.argv[1], *map(int, sys.argv[2:5])
assert sys.argv[5] == "--"
svg_path, png_path = name + ".svg", name + ".png"
run = subprocess.run(sys.argv[6:] + ["--svg", svg_path], capture_output=True, text=True)
print(run.stdout, run.stderr)
if run.returncode != 0:
    sys.exit(f"exit status {run.returncode}")
root = ET.parse(svg_path).getroot()  # raises on anything not well-formed
ns = "{http://www.w3.org/2000/svg}"
assert root.tag == ns + "svg", root.tag
classes = [e.get("class", "") for e in root.iter()]
segments = sum(1 for c in classes if c.split()[:1] == ["segment"])
crosses = classes.count("cross")
states = classes.count("state")
collapsed = classes.count("collapsed")
print(f"svg: {segments} segments, {crosses} crosses, {states} states, {collapsed} collapsed")
# The text ladder printed by the same run has one row per segment: "|-- [" or "|<-- [" / "X-- [".
text_rows = len(re.findall(r"(?m)^ +[0-9.]+  .*\|.*(?:-- \[|X- |<-)", run.stdout))
fails = []
for what, got, want in (("segments", segments, want_segments), ("crosses", crosses, want_crosses),
                        ("states", states, want_states)):
    if want >= 0 and got != want:
        fails.append(f"{what}: {got}, expected {want}")
if run.stdout.strip() and "--quiet" not in sys.argv and text_rows != segments:
    fails.append(f"text ladder has {text_rows} segment rows, svg {segments}")
subprocess.run(["rsvg-convert", "-o", png_path, svg_path], check=True)
with open(png_path, "rb") as f:
    head = f.read(24)
assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
width, height = struct.unpack(">II", head[16:24])
want_w, want_h = int(root.get("width")), int(root.get("height"))
print(f"png: {width} x {height}")
if (width, height) != (want_w, want_h) or width < 600 or height < 300:
    fails.append(f"png {width}x{height}, svg says {want_w}x{want_h}")
if fails:
    sys.exit("; ".join(fails))
]=])

if(PYTHON3 AND RSVG_CONVERT)
  # The demo: 10 segments (3 handshake, request + ACK, response + ACK, FIN/ACK each way), none
  # lost, and 11 state entries: client SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT
  # CLOSED, server NEW-SYN-RECV ESTABLISHED CLOSE-WAIT LAST-ACK CLOSED (RFC 9293 §3.5 and
  # Linux's request socket), as the demo's state-transition list also shows.
  add_test(NAME cli.svg.demo
           COMMAND ${PYTHON3} ${svg_check} demo 10 0 11 -- $<TARGET_FILE:synack_cli> demo
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  # syn-lost: every SYN lost; Linux's default tcp_syn_retries = 6 makes 7 SYNs, each an arrow
  # that stops in a cross; the client's SYN-SENT and CLOSED are the only states.
  add_test(NAME cli.svg.syn_lost
           COMMAND ${PYTHON3} ${svg_check} syn-lost 7 7 2 -- $<TARGET_FILE:synack_cli> sim run
                   syn-lost
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  # --quiet still draws the picture.
  add_test(NAME cli.svg.syn_lost_quiet
           COMMAND ${PYTHON3} ${svg_check} syn-lost-quiet 7 7 2 -- $<TARGET_FILE:synack_cli> sim
                   run syn-lost --quiet
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
endif()
# An SVG that cannot be written is bad input: exit status 2.
synack_expect_exit2(cli.svg.unwritable demo --svg /nonexistent-dir/x.svg)
synack_expect_exit2(cli.svg.unwritable_sim sim run syn-lost --svg /nonexistent-dir/x.svg)

# --chart FILE: per-state socket counts over time (src/sim/state_chart_svg.h). Parsed as XML:
# two panels (client, server), a series for each state named, time never going backwards in a
# series; rendered to PNG at the SVG's size.
set(chart_check ${CMAKE_CURRENT_BINARY_DIR}/chart_check.py)
file(WRITE ${chart_check} [=[
import struct, subprocess, sys, xml.etree.ElementTree as ET
# chart_check.py NAME STATE... -- COMMAND... : the chart must hold a series for each STATE.
name = sys.argv[1]
sep = sys.argv.index("--")
want = set(sys.argv[2:sep])
svg_path, png_path = name + ".svg", name + ".png"
run = subprocess.run(sys.argv[sep + 1:] + ["--chart", svg_path], capture_output=True, text=True)
print(run.stdout, run.stderr)
if run.returncode != 0:
    sys.exit(f"exit status {run.returncode}")
root = ET.parse(svg_path).getroot()
ns = "{http://www.w3.org/2000/svg}"
assert root.tag == ns + "svg", root.tag
series = [e for e in root.iter(ns + "polyline") if e.get("class") == "series"]
states = {e.get("data-state") for e in series}
print("series:", sorted(states))
for e in series:
    pts = [tuple(map(float, p.split(","))) for p in e.get("points").split()]
    xs = [x for x, _ in pts]
    assert xs == sorted(xs), "time must not go backwards"
if not want <= states:
    sys.exit(f"missing series: {sorted(want - states)}")
panels = [e for e in root.iter(ns + "g") if e.get("class") == "panel"]
if len(panels) != 2:
    sys.exit(f"{len(panels)} panels, expected 2 (client, server)")
subprocess.run(["rsvg-convert", "-o", png_path, svg_path], check=True)
with open(png_path, "rb") as f:
    head = f.read(24)
assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
width, height = struct.unpack(">II", head[16:24])
print(f"png: {width} x {height}")
if (width, height) != (int(root.get("width")), int(root.get("height"))) or width < 600:
    sys.exit(f"png {width}x{height}, svg says {root.get('width')}x{root.get('height')}")
]=])
if(PYTHON3 AND RSVG_CONVERT)
  # close-wait-leak: the server's CLOSE-WAIT and LISTEN, the client's FIN-WAIT-2 all appear.
  add_test(NAME cli.chart.close_wait_leak
           COMMAND ${PYTHON3} ${chart_check} close-wait-leak CLOSE-WAIT LISTEN FIN-WAIT-2 --
                   $<TARGET_FILE:synack_cli> sim run close-wait-leak --quiet
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  # keepalive-dead-peer runs for hours of simulated time: the samples stay bounded and the
  # ESTAB line is there.
  add_test(NAME cli.chart.keepalive_long
           COMMAND ${PYTHON3} ${chart_check} keepalive ESTAB --
                   $<TARGET_FILE:synack_cli> sim run keepalive-dead-peer --quiet
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
endif()
