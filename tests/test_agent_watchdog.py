"""The agent pings systemd's watchdog only while every feature is healthy."""
from edge import config
from edge.agent import Agent, now
from edge.feature import Feature, Features


class Stuck(Feature):
    name = "scanner"

    def healthy(self, at):
        return False


def make_agent(edge_config) -> Agent:
    return Agent(config.load(edge_config("house-01")))


def test_watchdog_pings_while_every_feature_is_healthy(edge_config):
    agent = make_agent(edge_config)
    agent.features = Features([Feature()])
    assert agent._features_healthy(now())


def test_a_stuck_feature_stops_the_watchdog_pings_and_says_so(edge_config, caplog):
    agent = make_agent(edge_config)
    agent.features = Features([Feature(), Stuck()])
    assert not agent._features_healthy(now())
    assert not agent._features_healthy(now())
    stuck_logs = [r for r in caplog.records if "stuck" in r.getMessage()]
    assert len(stuck_logs) == 1 and "scanner" in stuck_logs[0].getMessage()
