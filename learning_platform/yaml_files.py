"""How content files are written: YAML as people write it by hand."""

from typing import Any

import yaml


class FlowList(list[Any]):
    """A short list of scalars, written inline: ``pi_ref: [0.35, 0.3, 0.2, 0.15]``."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as people write them.
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # A text of several lines is written as a literal block, line for line.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_flow_list(dumper: yaml.SafeDumper, value: FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(FlowList, _represent_flow_list)


def dump_yaml(data: Any, *, width: int = 10_000) -> str:
    """``data`` in its keys' order, Unicode as itself; plain scalars fold past ``width``."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=width,
        default_flow_style=False,
    )
