import NIOCore
import ORDPEcho
import ORDPRPC
import Testing

@Suite struct DeadlineAndCancellationTests {
  @Test func deadlineEndsTheCallAndCancelsTheHandler() async throws {
    let probe = Probe()
    try await withServer(services: [ProbeService(probe: probe)]) { _, port in
      let channel = makeChannel(port: port)
      defer { channel.close() }
      let start = ContinuousClock.now
      do {
        let _: Ordp_Echo_V1_EchoResponse = try await channel.unary(
          ProbeService.hang, request: echoRequest("d"),
          options: CallOptions(timeout: .milliseconds(200)))
        Issue.record("no error")
      } catch let error as RPCError {
        #expect(error.code == .deadlineExceeded)
      }
      #expect(ContinuousClock.now - start < .seconds(5))
      let w1 = try await probe.wait(for: "cancelled d")
      #expect(w1)
    }
  }

  @Test func serverEnforcesTheDeadlineOnTheWire() async throws {
    let probe = Probe()
    try await withServer(security: .plaintext, services: [ProbeService(probe: probe)]) { _, port in
      let raw = try await RawConnection.connect(port: port)
      defer { raw.close() }
      try await raw.call(
        1, method: ProbeService.hang.path, request: try echoRequest("w").serializedBytes(),
        timeoutMicros: 100_000)
      let frame = try await raw.nextFrame(on: 1)
      #expect(frame?.type == .trailers)
      let status = try Ordp_Rpc_V1_Status(buffer: frame!.payload)
      #expect(status.code == StatusCode.deadlineExceeded.rawValue)
      let w2 = try await probe.wait(for: "cancelled w")
      #expect(w2)
    }
  }

  @Test func callerCancellationReachesTheHandler() async throws {
    let probe = Probe()
    try await withServer(services: [ProbeService(probe: probe)]) { _, port in
      let channel = makeChannel(port: port)
      defer { channel.close() }
      let task = Task {
        let _: Ordp_Echo_V1_EchoResponse = try await channel.unary(
          ProbeService.hang, request: echoRequest("c"))
      }
      let w3 = try await probe.wait(for: "started c")
      #expect(w3)
      task.cancel()
      let result = await task.result
      guard case .failure(let error as RPCError) = result else {
        Issue.record("expected RPCError, got \(result)")
        return
      }
      #expect(error.code == .cancelled)
      let w4 = try await probe.wait(for: "cancelled c")
      #expect(w4)
    }
  }

  @Test func deadlinePropagatesAndNeverGrows() async throws {
    let probe = Probe()
    try await withServer(services: [ProbeService(probe: probe)]) { _, backendPort in
      let backend = makeChannel(port: backendPort)
      defer { backend.close() }
      try await withServer(services: [ProbeService(probe: probe, relayChannel: backend)]) {
        _, port in
        let channel = makeChannel(port: port)
        defer { channel.close() }
        let r: Ordp_Echo_V1_EchoResponse = try await channel.unary(
          ProbeService.relay, request: echoRequest("r", delayMicros: 300_000),
          options: CallOptions(timeout: .seconds(2)))
        // 2 s minus the 300 ms the relay slept: the backend saw at most ~1.7 s, not 600 s.
        #expect(r.index <= 1_700)
        #expect(r.index > 500)
      }
    }
  }
}
