"""The MQTT contract v1 (docs/protocol.md): topics, messages, their bounds and codec.

The one owner of the wire: edge and central both import it, nothing else formats a
topic or builds a payload.
Pure: standard library only (a layering test keeps it so).
"""
from .bounds import (CLOCK_QUALITY, COMMAND_NAME, DEFAULT_ROOT, EVENT_TYPE, HOUSE_ID, KINDS,
                     MAC_LIKE, MAX_HISTORY_RAW, MAX_HISTORY_ROWS, MAX_INT, MAX_LIST, MAX_METRICS,
                     MAX_NAME, MAX_PAYLOAD, MAX_STRING, MAX_TS, METRIC_NAME, RESERVED_IDS,
                     SCHEMA_VERSION, PayloadError, check_data, check_metrics, check_scalar,
                     is_house_id, is_int_between, is_name)
from .codec import (HISTORY_CONTENT_TYPE, JSON_CONTENT_TYPE, build_ack, build_central_alerts, build_central_status, build_cmd_result,
                    build_command, build_event, build_history, build_status, build_telemetry,
                    history_json, parse_ack, parse_central_alerts, parse_central_status,
                    parse_cmd_result, parse_command, parse_event, parse_example, parse_history,
                    parse_status, parse_telemetry)
from .messages import (Ack, AlertItem, CentralAlerts, CentralStatus, Command, CommandResult, Event,
                       Sample, Status, Telemetry)
from .rows import (MAX_EPOCH, MAX_ROLLUP_SAMPLES, ROLLUP_SERIES, build_samples, check_epoch,
                   is_epoch, parse_samples, sample_cost)
from .topics import Topics

__all__ = [name for name in dir() if not name.startswith("_") and name not in
           {"bounds", "codec", "messages", "parsing", "rows", "topics"}]
