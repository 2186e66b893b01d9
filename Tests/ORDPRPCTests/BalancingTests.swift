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
        // Both connections up: wait until a call went to each side, then count a fixed batch.
        for _ in 0..<50 where a.value == 0 || b.value == 0 {
          _ = try await client.get(echoRequest("x"))
        }
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
