import NIOCore
import ORDPEcho
import ORDPRPC
import ORDPTestSupport
import Testing

@Suite struct RelayTests {
  /// Runs `body` with a client of a relay in front of an echo server.
  func withRelay(
    backendInterceptors: [any ServerInterceptor] = [],
    _ body: (Ordp_Echo_V1_Echo_Client) async throws -> Void
  ) async throws {
    try await withServer(security: .plaintext, interceptors: backendInterceptors) {
      _, backendPort in
      let backend = makePlaintextChannel(ports: [backendPort])
      defer { backend.close() }
      try await withServer(
        security: .plaintext,
        services: [EchoRelay(backend: backend, adding: Metadata(["x-echo": "relayed"]))]
      ) {
        _, relayPort in
        let channel = makePlaintextChannel(ports: [relayPort])
        defer { channel.close() }
        try await body(Ordp_Echo_V1_Echo_Client(channel: channel))
      }
    }
  }

  @Test func everyCallKindPassesThroughWithItsMessagesAndStatus() async throws {
    try await withRelay { client in
      let one = try await client.get(echoRequest("Menden", payload: 100_000))
      #expect(one.text == "Menden" && one.payload.count == 100_000)
      #expect(one.echoedMetadata == "relayed")

      let many = try await client.expand(echoRequest("Olpe", repeat: 50)) { stream in
        var indices: [UInt32] = []
        for try await response in stream { indices.append(response.index) }
        return indices
      }
      #expect(many == Array(0..<50))

      let collected = try await client.collect { writer in
        for town in ["Arnsberg", "Soest", "Iserlohn"] { try await writer.write(echoRequest(town)) }
      }
      #expect(collected.text == "Arnsberg Soest Iserlohn")

      let updates = try await client.update { writer in
        for i in 0..<20 { try await writer.write(echoRequest("\(i)")) }
      } onResponse: { stream in
        var texts: [String] = []
        for try await response in stream { texts.append(response.text) }
        return texts
      }
      #expect(updates == (0..<20).map { "\($0)" })
    }
  }

  @Test func theBackendsStatusReachesTheCallerAsItIs() async throws {
    try await withRelay { client in
      do {
        _ = try await client.get(echoRequest("nicht da", failCode: 5))
        Issue.record("the call succeeded")
      } catch let error as RPCError {
        #expect(error.code == .notFound && error.message == "nicht da")
      }
      // A stream that fails after some responses: the responses, then the status.
      var received = 0
      do {
        try await client.expand(echoRequest("stop", repeat: 3, failCode: 8)) { stream in
          for try await _ in stream { received += 1 }
        }
        Issue.record("the call succeeded")
      } catch let error as RPCError {
        #expect(error.code == .resourceExhausted)
      }
      #expect(received == 3)
    }
  }

  /// Adds a response header and a trailer to every call.
  struct AddsResponseMetadata: ServerInterceptor {
    func intercept(
      context: ServerContext, next: @Sendable (ServerContext) async throws -> Void
    ) async throws {
      context.response.addHeader("x-backend", "Soest")
      context.response.addTrailer("x-backend-done", "yes")
      try await next(context)
    }
  }

  @Test func theBackendsResponseHeadersAndTrailersReachTheCaller() async throws {
    try await withRelay(backendInterceptors: [AddsResponseMetadata()]) { client in
      for kind in ["unary", "server streaming", "bidirectional"] {
        var options = CallOptions()
        let seen = ResponseMetadata()
        options.responseMetadata = seen
        switch kind {
        case "unary": _ = try await client.get(echoRequest("Menden"), options: options)
        case "server streaming":
          try await client.expand(echoRequest("Olpe", repeat: 3), options: options) { stream in
            for try await _ in stream {}
          }
        default:
          try await client.update(options: options) { writer in
            try await writer.write(echoRequest("Arnsberg"))
          } onResponse: { stream in
            for try await _ in stream {}
          }
        }
        #expect(seen.headers["x-backend"] == "Soest", "\(kind)")
        #expect(seen.trailers["x-backend-done"] == "yes", "\(kind)")
      }
    }
  }

  @Test func theCallersDeadlineBindsTheBackendCall() async throws {
    let seen = ContextRecorder()
    try await withRelay(backendInterceptors: [seen]) { client in
      // Connected end to end first: the deadline then only has the slow call to bound (on a
      // loaded machine, connecting alone could take what the deadline leaves).
      _ = try await client.get(echoRequest("warm"))
      do {
        _ = try await client.get(
          echoRequest("slow", delayMicros: 5_000_000),
          options: CallOptions(timeout: .milliseconds(1000)))
        Issue.record("the call succeeded")
      } catch let error as RPCError {
        #expect(error.code == .deadlineExceeded)
      }
      // The backend got the caller's deadline (what remained of it), not none.
      let last = try #require(seen.last)
      let remaining = try #require(last.context.deadline) - last.receivedAt
      #expect(remaining > .zero && remaining <= .milliseconds(1000))
    }
  }
}
