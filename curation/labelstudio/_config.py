"""The Label Studio labeling config, generated from a taxonomy and the channels a weld task carries.

Laid out for a 1366x768 laptop: the questions in a narrow column left of the signals, both on the first
screen; the keyframe strips below. The whole weld is in view when a task opens (overview at 100 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from weldctl.schema import Taxonomy

TS_NAME = "signals"  # the TimeSeries tag every control points at
TIME_COLUMN = "time"  # the task's time axis: units of `time_unit_ns` since `t0_ns` (both in the task data)
WELD_COLUMN = "weld"  # 1 inside the weld (the segment), 0 in the context shown around it
TIME_UNIT_NS = 1_000_000  # new tasks: ms from the weld start (negative before it)
LEGACY_TIME_UNIT_NS = 1_000_000_000  # tasks pushed before `time_unit_ns`: seconds since 50 ms before the weld
DIMENSIONLESS = {"", "1"}
# Vertical room (px) for the signals on a 1366x768 screen below Label Studio's bars and the task title.
SIGNALS_PX = 540
PLOT_PX = (30, 80)  # smallest and largest plot height
WELD_BAND_HEIGHT = 30  # Label Studio keeps 10 px above and below a line: a 10 px step
# Label Studio draws 20 px above and 30 px below each plot; the next plot may overlap the 20 px above it.
CHANNEL_CHROME_PX = 30
# Tick and hover values: up to 6 significant digits, trailing zeros trimmed (".1f" made 0.12 and 0.14 "0.1").
VALUE_FORMAT = ".6~g"
# Categorical colours (tab10), one per channel, so a plot and its legend are easy to tell apart.
_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]

# Label Studio's own class names (1.2x): compact plots, and only the lowest and highest y tick labelled,
# since ten labels do not fit on a short plot.
_STYLE = """
.weld-head [class*=typography-title] { margin: 0 0 2px 0 !important; font-size: 18px !important; }
.weld-head .weld-axis [class*=typography-title] { margin: 0 0 6px 0 !important; font-size: 13px !important;
  font-weight: normal; }
.weld-top { display: flex; align-items: flex-start; gap: 12px; }
.weld-questions { flex: 0 0 190px; }
.weld-questions [class*=typography-title] { margin: 6px 0 2px 0 !important; font-size: 15px !important; }
.weld-questions .weld-note [class*=typography-title] { font-size: 12px !important; font-weight: normal; }
.weld-signals { flex: 1 1 auto; min-width: 0; }
.weld-signals .htx-timeseries-channel { margin-bottom: -20px; }
.weld-signals .yaxis .tick text { display: none; }
.weld-signals .yaxis .tick:first-of-type text, .weld-signals .yaxis .tick:last-of-type text { display: inline; }
.weld-frames { margin-top: 28px; }
.weld-frames > div { margin-bottom: 10px; }
.weld-frames [class*=typography-title] { margin: 0 0 2px 0 !important; font-size: 13px !important; }
"""


def plot_height(n_channels: int) -> int:
    """One plot's height so that the weld band and ``n_channels`` plots fit the first screen (within limits)."""
    room = SIGNALS_PX - (WELD_BAND_HEIGHT + CHANNEL_CHROME_PX)
    return max(PLOT_PX[0], min(PLOT_PX[1], room // max(1, n_channels) - CHANNEL_CHROME_PX))


@dataclass(frozen=True)
class SignalColumn:
    column: str  # CSV column, e.g. daq_photodiode
    legend: str  # shown to the labeller, e.g. daq/photodiode
    units: str  # of this channel ("1" or "" when it has none)


def image_key(stream: str) -> str:
    return f"img_{stream}"


def caption_key(stream: str) -> str:
    return f"img_{stream}_caption"


def legend(col: SignalColumn) -> str:
    return col.legend if col.units in DIMENSIONLESS else f"{col.legend} [{col.units}]"


def _channel(col: SignalColumn, color: str, height: int, **extra: str) -> str:
    q = quoteattr
    units = "" if col.units in DIMENSIONLESS else col.units
    attrs = "".join(f" {k}={q(v)}" for k, v in extra.items())
    return (f'      <Channel column={q(col.column)} legend={q(legend(col))} units={q(units)} '
            f'displayFormat="{VALUE_FORMAT}" height="{height}" strokeColor="{color}"{attrs}/>')


def label_config(taxonomy: Taxonomy, columns: list[SignalColumn], image_streams: list[str]) -> str:
    """XML for the project: questions | signals (with the weld band), then the keyframe strips."""
    q = quoteattr
    lines = ['<View>', f'  <Style>{_STYLE}</Style>', '  <View className="weld-head">',
             '    <Header value="$title" size="4"/>',
             '    <View className="weld-axis"><Header value="$axis" size="6"/></View>', '  </View>',
             '  <View className="weld-top">', '    <View className="weld-questions">']
    for group in taxonomy.choices:
        lines.append(f'      <Header value={q(group.title or group.name)} size="5"/>')
        req = ' required="true"' if group.required else ""
        lines.append(f'      <Choices name={q(group.name)} toName="{TS_NAME}" choice="single-radio"{req}>')
        lines.extend(f'        <Choice value={q(c)}/>' for c in group.classes)
        lines.append('      </Choices>')
    for region in taxonomy.regions:
        rule = region.exactly_when
        # The region label shows once the answer that needs regions is given: "present" asks for the pores.
        if rule is not None:
            lines.append(f'      <View visibleWhen="choice-selected" whenTagName={q(rule.choice)} '
                         f'whenChoiceValue={q(rule.value)}>')
        hint = f"Mark each {region.label} on the signals: pick the label, then drag across it"
        lines.append(f'      <Header value={q(region.title or region.label)} size="5"/>')
        lines.append(f'      <TimeSeriesLabels name={q(region.name)} toName="{TS_NAME}">')
        lines.append(f'        <Label value={q(region.label)} background="#d62728" hint={q(hint)}/>')
        lines.append('      </TimeSeriesLabels>')
        if rule is not None:
            lines.append(f'      <View className="weld-note"><Header value='
                         f'{q(f"{rule.choice} {rule.value!r} needs at least one {region.label} marked")} size="6"/>'
                         f'</View>')
            lines.append('      </View>')
    lines += ['    </View>', '    <View className="weld-signals">',
              f'    <TimeSeries name="{TS_NAME}" valueType="url" value="$csv" sep="," timeColumn="{TIME_COLUMN}" '
              f'timeDisplayFormat=",.2f" durationDisplayFormat=",.2f" overviewWidth="100%" '
              f'overviewChannels="{WELD_COLUMN}">']
    band = SignalColumn(WELD_COLUMN, "weld", "")
    lines.append(_channel(band, "#555555", WELD_BAND_HEIGHT, showAxis="false", interpolation="curveStepAfter"))
    height = plot_height(len(columns))
    for i, col in enumerate(columns):
        lines.append(_channel(col, _COLORS[i % len(_COLORS)], height))
    lines += ['    </TimeSeries>', '    </View>', '  </View>']
    if image_streams:
        lines.append('  <View className="weld-frames">')
        for stream in image_streams:
            lines += ['    <View>', f'      <Header value={q("$" + caption_key(stream))} size="6"/>',
                      f'      <Image name={q(image_key(stream))} value={q("$" + image_key(stream))} zoom="true"/>',
                      '    </View>']
        lines.append('  </View>')
    lines.append('</View>')
    return "\n".join(lines) + "\n"
