import NIOCore
import ORDPEcho
import ORDPRPC
import Synchronization
import Testing

@Suite struct DrainAndFailoverTests {
  @Test func drainLetsInFlightCallsFinishAndRefusesNewOnes() async throws {
    try await withServer(security: .plaintext) { server, port in
      let raw = try await RawConnection.connect(port: port)
      defer { raw.close() }
      try await raw.call(
        1, method: "/ordp.echo.v1.Echo/Get",
        request: try echoRequest("in flight", delayMicros: 2_000_000).serializedBytes())
      try await Task.sleep(for: .milliseconds(100))
      server.beginGracefulShutdown()
      let goAway = try await raw.goAway()
      #expect(goAway?.code == GoAwayCode.noError.rawValue)
      #expect(goAway?.lastStreamID == 1)
      try await raw.call(
        2, method: "/ordp.echo.v1.Echo/Get", request: try echoRequest("late").serializedBytes())
      var frames: [UInt32: [FrameType]] = [:]
      while let f = try await raw.nextFrame() { frames[f.streamID, default: []].append(f.type) }
      #expect(frames[1] == [.message, .trailers])
      #expect(frames[2] == [.cancel])
      let closed = try await raw.closed(within: .seconds(5))
      #expect(closed)
    }
  }

  @Test func channelMovesToAnotherServerOnGoAwayWithoutLosingCalls() async throws {
    try await withServer(security: .plaintext) { serverA, portA in
      try await withServer(security: .plaintext) { _, portB in
        let channel = makePlaintextChannel(ports: [portA, portB])
        defer { channel.close() }
        let client = Ordp_Echo_V1_Echo_Client(channel: channel)
        let failures = FailureLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
          for worker in 0..<8 {
            group.addTask {
              for i in 0..<150 {
                do {
                  let r = try await client.get(echoRequest("w\(worker)-\(i)", delayMicros: 1_000))
                  if r.text != "w\(worker)-\(i)" { failures.add("wrong answer") }
                } catch {
                  failures.add("\(error)")
                }
              }
            }
          }
          try await Task.sleep(for: .milliseconds(100))
          serverA.beginGracefulShutdown()
          try await group.waitForAll()
        }
        #expect(failures.all == [])
      }
    }
  }

  /// A connection takes calls only after the server's HELLO: one that the server resets
  /// before greeting (a listener closing with it in its backlog) loses no call.
  @Test func callsWaitForTheServersHello() async throws {
    let resetting = try await RefusingServer.start(behaviour: .resetBeforeHello)
    try await withServer(security: .plaintext) { _, port in
      let channel = makePlaintextChannel(ports: [resetting.port, port])
      defer { channel.close() }
      let client = Ordp_Echo_V1_Echo_Client(channel: channel)
      // Calls until the resetting server has reset a connection of the channel (and 300 ms).
      let clock = ContinuousClock()
      let start = clock.now
      var i = 0
      while clock.now - start < .milliseconds(300)
        || (resetting.counters.closedConnections.load(ordering: .relaxed) == 0
          && clock.now - start < .seconds(10))
      {
        let answer = try await client.get(echoRequest("call \(i)")).text
        #expect(answer == "call \(i)")
        i += 1
      }
    }
    let resets = resetting.counters.closedConnections.load(ordering: .relaxed)
    #expect(resets >= 1)
    try await resetting.close()
  }

  /// A server that accepts and never greets fails the call (after the connect timeout) instead
  /// of keeping it forever.
  @Test func aServerThatNeverGreetsFailsTheCall() async throws {
    let silent = try await RefusingServer.start(behaviour: .silent)
    let channel = RPCChannel(
      configuration: .init(
        targets: [.init(host: "127.0.0.1", port: silent.port)], security: .plaintext,
        connectTimeout: .milliseconds(200)))
    defer { channel.close() }
    let client = Ordp_Echo_V1_Echo_Client(channel: channel)
    let error = await #expect(throws: RPCError.self) {
      try await client.get(echoRequest("anyone?"))
    }
    #expect(error?.code == .unavailable)
    #expect(error?.message.contains("no HELLO from the server") == true)
    try await silent.close()
  }

  @Test func channelReconnectsAfterTheServerComesBack() async throws {
    let port = try await withServer(security: .plaintext) { _, port in port }
    let channel = RPCChannel(
      configuration: .init(
        targets: [.init(host: "127.0.0.1", port: port)], security: .plaintext,
        backoff: {
          var b = Backoff(); b.initial = .milliseconds(20); return b
        }()))
    defer { channel.close() }
    let client = Ordp_Echo_V1_Echo_Client(channel: channel)
    await #expect(throws: RPCError.self) { try await client.get(echoRequest("nobody home")) }
    try await withServer(security: .plaintext, configure: { $0.port = port }) { _, _ in
      var answer: String? = nil
      for _ in 0..<100 where answer == nil {
        answer = try? await client.get(echoRequest("back")).text
        if answer == nil { try await Task.sleep(for: .milliseconds(20)) }
      }
      #expect(answer == "back")
    }
  }
}

final class FailureLog: Sendable {
  private let entries = Mutex<[String]>([])
  func add(_ s: String) { entries.withLock { $0.append(s) } }
  var all: [String] { entries.withLock { $0 } }
}
