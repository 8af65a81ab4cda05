"""What the supervisor sends a worker that is still starting (pjsua not Ready yet): the Holds it
starts with, brought up to date by what changed meanwhile. A Route dropped there once left the
demo trunk answering 480 "no agent" while it read Registered."""

from edge.protocol import AgentLink, CallRouting, Hold, Release, Route, Shutdown
from edge.supervisor import WorkerProcess
from edge.worker import WorkerSettings
from smartalex.domain.trunk import SipAccount, Transport

RECEPTIONIST = CallRouting(AgentLink("agt_1", "receptionist", "ws://127.0.0.1:1/"))


class RecordingConn:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)


def hold(trunk_id: str = "trk_1", routing: CallRouting = CallRouting()) -> Hold:
    account = SipAccount("pbx.example.com", "1000", "1000", Transport.UDP, 5060)
    return Hold(trunk_id, "acme", 1, account, "secret", routing)


def starting() -> WorkerProcess:
    return WorkerProcess(0, WorkerSettings(index=0))


def test_a_route_sent_while_the_worker_starts_goes_into_its_pending_hold():
    w = starting()
    w.send(hold())
    w.send(Route("trk_1", RECEPTIONIST))
    assert w.pending["trk_1"].routing == RECEPTIONIST
    assert (w.pending["trk_1"].trunk_id, w.pending["trk_1"].password) == ("trk_1", "secret")


def test_a_release_sent_while_the_worker_starts_cancels_its_pending_hold():
    w = starting()
    w.send(hold())
    w.send(Release("trk_1"))
    assert w.pending == {}


def test_messages_for_another_trunk_leave_the_pending_hold_alone():
    w = starting()
    w.send(hold("trk_1"))
    w.send(Route("trk_2", RECEPTIONIST))
    w.send(Release("trk_2"))
    assert w.pending == {"trk_1": hold("trk_1")}


def test_a_starting_worker_keeps_the_holds_of_all_its_trunks_and_sends_them_once_ready():
    w = starting()
    for trunk_id in ("trk_1", "trk_2", "trk_3"):
        w.send(hold(trunk_id))
    w.send(Route("trk_2", RECEPTIONIST))
    w.send(Release("trk_3"))
    w.ready, w.conn = True, RecordingConn()
    w.send_pending()
    assert w.conn.sent == [hold("trk_1"), hold("trk_2", RECEPTIONIST)]
    assert w.pending == {}


def test_a_worker_still_starting_when_the_edge_drains_gets_the_shutdown_not_the_hold():
    w = starting()
    w.send(hold())
    w.send(Shutdown(90.0))
    w.send(Route("trk_1", RECEPTIONIST))
    w.send(hold("trk_2"))
    assert w.pending == {} and w.pending_shutdown == Shutdown(90.0)
    w.ready, w.conn = True, RecordingConn()
    w.send_pending()
    assert w.conn.sent == [Shutdown(90.0)]


def test_a_ready_worker_gets_every_message_as_sent():
    w = starting()
    w.ready, w.conn = True, RecordingConn()
    messages = [hold(), Route("trk_1", RECEPTIONIST), Release("trk_1")]
    for message in messages:
        w.send(message)
    assert w.conn.sent == messages and w.pending == {}


def test_a_message_to_a_worker_whose_pipe_closed_is_kept_not_raised():
    """A worker that died while the edge drains: its pipe is closed (conn None) and it is still
    marked Ready. A Shutdown sent to it then raised AttributeError and crashed the edge's
    stop; now it waits with the Holds, as for a worker that is starting."""
    w = starting()
    w.ready, w.conn = True, None
    w.send(Shutdown(0.0))
    assert w.pending_shutdown == Shutdown(0.0)
