import NIOCore
import ORDPWire
import Testing

@Suite struct ClientConnectionStateMachineTests {
  func serverHello(maxConcurrent: UInt32 = 0, window: UInt32 = 0) -> Frame {
    var h = Ordp_Rpc_V1_Hello()
    h.version = 1
    h.maxConcurrentStreams = maxConcurrent
    h.initialWindowSize = window
    return F.frame(.hello, 0, h)
  }

  @Test func streamIDsIncreaseAndRespectTheServerLimit() {
    var m = ClientConnectionStateMachine()
    _ = m.receive(serverHello(maxConcurrent: 2))
    let r1 = m.openStream()
    #expect(r1 == .open(streamID: 1))
    let r2 = m.openStream()
    #expect(r2 == .open(streamID: 2))
    let r3 = m.openStream()
    #expect(r3 == .atLimit)
    m.forget(streamID: 1)
    let r4 = m.openStream()
    #expect(r4 == .open(streamID: 3))
  }

  @Test func serverMustStartWithHello() {
    var m = ClientConnectionStateMachine()
    guard case .connectionError(let e) = m.receive(F.message(1)) else {
      Issue.record("accepted"); return
    }
    #expect(e.code == .protocolError)
  }

  @Test func trailersEndCallsAndRefusalsAreMarked() {
    var m = ClientConnectionStateMachine()
    _ = m.receive(serverHello())
    _ = m.openStream()
    var status = RPCStatus(code: .unavailable, message: "busy")
    status.metadata.add("ordp-refused", "1")
    guard case .callEnded(1, let s) = m.receive(F.frame(.cancel, 1, status.wire)) else {
      Issue.record("not ended"); return
    }
    #expect(s.isRefused)
    #expect(m.openStreamCount == 0)
  }

  @Test func goAwayReportsUnprocessedCallsAndStopsNewOnes() {
    var m = ClientConnectionStateMachine()
    _ = m.receive(serverHello())
    for _ in 0..<4 { _ = m.openStream() }
    var g = Ordp_Rpc_V1_GoAway()
    g.lastStreamID = 2
    guard
      case .goAway(.noError, _, let unprocessed, closeNow: false) = m.receive(
        F.frame(.goAway, 0, g))
    else {
      Issue.record("no goaway"); return
    }
    #expect(unprocessed == [3, 4])
    let r5 = m.openStream()
    #expect(r5 == .unavailable)
    m.forget(streamID: 1)
    let r6 = m.callEndedShouldClose()
    #expect(!r6)
    m.forget(streamID: 2)
    let r7 = m.callEndedShouldClose()
    #expect(r7)
  }

  @Test func serverHelloAdjustsOutboundWindows() {
    var m = ClientConnectionStateMachine()
    _ = m.openStream()  // before the server's HELLO: default window
    _ = m.receive(serverHello(window: 10))
    let r8 = m.sendMessage(streamID: 1, bytes: 10)
    #expect(r8 == .send)
    let r9 = m.sendMessage(streamID: 1, bytes: 1)
    #expect(r9 == .wait)
  }

  @Test func lastMessageConsumesTheWindowAndHalfCloses() {
    var m = ClientConnectionStateMachine()
    _ = m.receive(serverHello(window: 10))
    _ = m.openStream()
    _ = m.openStream()
    // An open window takes the whole message (WIRE.md §5), then the stream is half-closed.
    let sent = m.sendLastMessage(streamID: 1, bytes: 11)
    #expect(sent == .send)
    let after = m.sendMessage(streamID: 1, bytes: 0)
    #expect(after == .streamClosed)
    let again = m.sendLastMessage(streamID: 1, bytes: 0)
    #expect(again == .streamClosed)
    // An exhausted window: wait, and the stream stays open for the message.
    let first = m.sendMessage(streamID: 2, bytes: 10)
    #expect(first == .send)
    let blocked = m.sendLastMessage(streamID: 2, bytes: 1)
    #expect(blocked == .wait)
    _ = m.receive(F.windowUpdate(2, 5))
    let unblocked = m.sendLastMessage(streamID: 2, bytes: 1)
    #expect(unblocked == .send)
    let unknown = m.sendLastMessage(streamID: 9, bytes: 1)
    #expect(unknown == .streamClosed)
  }

  @Test func responseFlowControlIsEnforced() {
    var m = ClientConnectionStateMachine(
      localSettings: {
        var s = ConnectionSettings(); s.initialWindowSize = 8; return s
      }())
    _ = m.receive(serverHello())
    _ = m.openStream()
    guard case .responseMessage = m.receive(F.message(1, size: 8)) else {
      Issue.record("refused"); return
    }
    guard case .connectionError(let e) = m.receive(F.message(1, size: 1)) else {
      Issue.record("accepted"); return
    }
    #expect(e.code == .flowControlError)
  }
}
