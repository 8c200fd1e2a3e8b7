"""The Label Studio labeling config, generated from a taxonomy and the channels a weld task carries."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from weldctl.schema import Taxonomy

TS_NAME = "signals"  # the TimeSeries tag every control points at
TIME_COLUMN = "time_s"  # seconds since the task's t0_ns


@dataclass(frozen=True)
class SignalColumn:
    column: str  # CSV column, e.g. daq_photodiode
    legend: str  # shown to the labeller, e.g. daq/photodiode
    units: str


def image_key(stream: str) -> str:
    return f"img_{stream}"


def label_config(taxonomy: Taxonomy, columns: list[SignalColumn], image_streams: list[str]) -> str:
    """XML for the project: keyframes, the signals, a region label per region group, a Choices per group."""
    q = quoteattr
    lines = ['<View>', '  <Header value="$title"/>']
    for stream in image_streams:
        lines.append(f'  <Header value={q(f"{stream} keyframes")} size="6"/>')
        lines.append(f'  <Image name={q(image_key(stream))} value={q("$" + image_key(stream))} zoom="true"/>')
    for region in taxonomy.regions:
        lines.append(f'  <TimeSeriesLabels name={q(region.name)} toName="{TS_NAME}">')
        lines.append(f'    <Label value={q(region.label)} hint={q(region.title or region.label)}/>')
        lines.append('  </TimeSeriesLabels>')
    overview = f" overviewChannels={q(columns[0].column)}" if columns else ""
    lines.append(f'  <TimeSeries name="{TS_NAME}" valueType="url" value="$csv" sep="," '
                 f'timeColumn="{TIME_COLUMN}" timeDisplayFormat=",.3f"{overview}>')
    for col in columns:
        legend = f"{col.legend} [{col.units}]" if col.units else col.legend
        lines.append(f'    <Channel column={q(col.column)} legend={q(legend)} units={q(col.units)}/>')
    lines.append('  </TimeSeries>')
    for group in taxonomy.choices:
        lines.append(f'  <Header value={q(group.title or group.name)} size="5"/>')
        req = ' required="true"' if group.required else ""
        lines.append(f'  <Choices name={q(group.name)} toName="{TS_NAME}" choice="single" '
                     f'showInline="true"{req}>')
        lines.extend(f'    <Choice value={q(c)}/>' for c in group.classes)
        lines.append('  </Choices>')
    lines.append('</View>')
    return "\n".join(lines) + "\n"
