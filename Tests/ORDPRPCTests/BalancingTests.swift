import NIOCore
import ORDPEcho
import ORDPRPC
import Synchronization
import Testing

/// Counts the calls a server handled.
final class CallCounter: ServerInterceptor {
  private let count = Atomic<Int>(0)
  var value: Int { count.load(ordering: .relaxed) }
  func intercept(
    context: ServerContext, next: @Sendable (ServerContext) async throws -> Void
  ) async throws {
    count.add(1, ordering: .relaxed)
    try await next(context)
  }
}

@Suite struct BalancingTests {
  @Test func roundRobinAcrossAddresses() async throws {
    let a = CallCounter()
    let b = CallCounter()
    try await withServer(security: .plaintext, interceptors: [a]) { _, portA in
      try await withServer(security: .plaintext, interceptors: [b]) { _, portB in
        let channel = makePlaintextChannel(ports: [portA, portB])
        defer { channel.close() }
        let client = Ordp_Echo_V1_Echo_Client(channel: channel)
        _ = try await client.get(echoRequest("connect"))
        // Both connections up: until then calls go to the one that is. On a loaded machine the
        // second can take many calls' time to connect, so wait for it (bounded), then count a
        // fixed batch.
        for _ in 0..<100_000 where a.value == 0 || b.value == 0 {
          _ = try await client.get(echoRequest("x"))
        }
        try #require(a.value > 0 && b.value > 0)
        let (startA, startB) = (a.value, b.value)
        for _ in 0..<100 { _ = try await client.get(echoRequest("x")) }
        #expect(a.value - startA == 50)
        #expect(b.value - startB == 50)
      }
    }
  }

  @Test func refusedCallsAreRetriedOnAnotherConnection() async throws {
    let refuser = try await RefusingServer.start()
    try await withServer(security: .plaintext) { _, port in
      let channel = makePlaintextChannel(ports: [refuser.port, port])
      defer { channel.close() }
      let client = Ordp_Echo_V1_Echo_Client(channel: channel)
      for i in 0..<20 {
        let r = try await client.get(echoRequest("call \(i)"))
        #expect(r.text == "call \(i)")
      }
    }
    try await refuser.close()
  }

  /// A connection that completes after its channel was closed is closed at once — without
  /// the pool taking its own lock twice (closing it tells the pool at once that it is gone;
  /// that once trapped with "Recursive call to lock Mutex").
  @Test func aConnectionCompletingAfterItsChannelClosedIsClosed() async throws {
    let slow = try await RefusingServer.start(helloDelay: .milliseconds(300))
    let channel = makePlaintextChannel(ports: [slow.port])
    let call = Task {
      try? await Ordp_Echo_V1_Echo_Client(channel: channel).get(echoRequest("x"))
    }
    // The connection waits for the server's greeting; the channel closes meanwhile.
    try await Task.sleep(for: .milliseconds(100))
    channel.close()
    _ = await call.value
    var closed = 0
    for _ in 0..<100 where closed == 0 {
      try await Task.sleep(for: .milliseconds(20))
      closed = slow.counters.closedConnections.load(ordering: .relaxed)
    }
    #expect(closed == 1)
    try await slow.close()
  }

  /// A refused call is retried on the other connection, waiting for it while it connects,
  /// not on the one that refused it again (which used up the retries before).
  @Test func aRefusedCallWaitsForAnotherConnectionRatherThanRetryTheSameOne() async throws {
    let quick = try await RefusingServer.start()
    let slow = try await RefusingServer.start(helloDelay: .milliseconds(300))
    let channel = makePlaintextChannel(ports: [quick.port, slow.port])
    defer { channel.close() }
    await #expect(throws: RPCError.self) {
      _ = try await Ordp_Echo_V1_Echo_Client(channel: channel).get(echoRequest("x"))
    }
    // Attempts alternate: the quick server, the slow one once it greeted, and so on.
    #expect(quick.counters.refusedCalls.load(ordering: .relaxed) == 2)
    #expect(slow.counters.refusedCalls.load(ordering: .relaxed) == 2)
    try await quick.close()
    try await slow.close()
  }

  /// A server that went away and came back on its address gets its share of calls again
  /// while the other server stays up (its subchannel reconnects by itself).
  @Test func aServerBackOnItsAddressGetsCallsAgain() async throws {
    let b = CallCounter()
    try await withServer(security: .plaintext, interceptors: [b]) { _, portB in
      let first = CallCounter()
      let (channel, portA) = try await withServer(security: .plaintext, interceptors: [first]) {
        _, portA in
        let channel = makePlaintextChannel(ports: [portA, portB])
        let client = Ordp_Echo_V1_Echo_Client(channel: channel)
        for _ in 0..<100_000 where first.value == 0 || b.value == 0 {
          _ = try await client.get(echoRequest("x"))
        }
        return (channel, portA)
      }
      defer { channel.close() }
      // The first server has shut down (GOAWAY); calls go on to the other one.
      let client = Ordp_Echo_V1_Echo_Client(channel: channel)
      for i in 0..<10 { #expect(try await client.get(echoRequest("\(i)")).text == "\(i)") }
      let again = CallCounter()
      try await withServer(
        security: .plaintext, configure: { $0.port = portA }, interceptors: [again]
      ) { _, _ in
        // Reconnection follows the backoff (100 ms, growing); wait up to about 20 s.
        for _ in 0..<400 where again.value == 0 {
          _ = try await client.get(echoRequest("x"))
          try await Task.sleep(for: .milliseconds(50))
        }
        try #require(again.value > 0)
        let (startA, startB) = (again.value, b.value)
        for _ in 0..<100 { _ = try await client.get(echoRequest("x")) }
        #expect(again.value - startA == 50)
        #expect(b.value - startB == 50)
      }
    }
  }

  @Test func refusalEverywhereSurfacesAsUnprocessed() async throws {
    let refuser = try await RefusingServer.start()
    let channel = makeChannel(port: refuser.port, security: .plaintext)
    defer { channel.close() }
    do {
      _ = try await Ordp_Echo_V1_Echo_Client(channel: channel).get(echoRequest("x"))
      Issue.record("no error")
    } catch let error as RPCError {
      #expect(error.code == .unavailable)
      #expect(error.isRefused)
    }
    try await refuser.close()
  }
}

@Suite struct KeepaliveTests {
  @Test func idleClientConnectionsPing() async throws {
    let server = try await RefusingServer.start()
    let channel = makeChannel(port: server.port, security: .plaintext) {
      $0.keepaliveInterval = .milliseconds(100)
    }
    defer { channel.close() }
    _ = try? await Ordp_Echo_V1_Echo_Client(channel: channel).get(echoRequest("open a connection"))
    try await Task.sleep(for: .milliseconds(600))
    #expect(server.counters.pings.load(ordering: .relaxed) >= 2)
    #expect(server.counters.closedConnections.load(ordering: .relaxed) == 0)
    try await server.close()
  }

  @Test func unansweredPingClosesTheConnection() async throws {
    let server = try await RefusingServer.start(answerPings: false)
    let channel = makeChannel(port: server.port, security: .plaintext) {
      $0.keepaliveInterval = .milliseconds(100)
      $0.keepaliveTimeout = .milliseconds(100)
    }
    defer { channel.close() }
    _ = try? await Ordp_Echo_V1_Echo_Client(channel: channel).get(echoRequest("open a connection"))
    var closed = 0
    for _ in 0..<100 where closed == 0 {
      try await Task.sleep(for: .milliseconds(20))
      closed = server.counters.closedConnections.load(ordering: .relaxed)
    }
    // At least the first connection; the channel may have reconnected and lost another since.
    #expect(closed >= 1)
    try await server.close()
  }
}
