import NIOCore
import ORDPEcho
import ORDPRPC
import Testing

@Suite struct CallKindsTests {
  @Test(arguments: [false, true])
  func unaryOverTLSAndPlaintext(_ plaintext: Bool) async throws {
    try await withServer(security: plaintext ? .plaintext : TestPKI.serverSecurity()) { _, port in
      let channel = makeChannel(
        port: port, security: plaintext ? .plaintext : TestPKI.clientSecurity())
      defer { channel.close() }
      let client = Ordp_Echo_V1_Echo_Client(channel: channel)
      var options = CallOptions()
      options.metadata.add("x-echo", "hallo Soest")
      let response = try await client.get(echoRequest("Arnsberg", payload: 1000), options: options)
      #expect(response.text == "Arnsberg")
      #expect(response.payload.count == 1000)
      #expect(response.echoedMetadata == "hallo Soest")
      #expect(response.peerIdentity == "")
    }
  }

  @Test func manyConcurrentUnaryCallsOnOneConnection() async throws {
    try await withServer { _, port in
      let channel = makeChannel(port: port)
      defer { channel.close() }
      let client = Ordp_Echo_V1_Echo_Client(channel: channel)
      try await withThrowingTaskGroup(of: Void.self) { group in
        for i in 0..<500 {
          group.addTask {
            let r = try await client.get(echoRequest("call \(i)"))
            #expect(r.text == "call \(i)")
          }
        }
        try await group.waitForAll()
      }
    }
  }

  @Test func clientStreaming() async throws {
    try await withServer { _, port in
      let channel = makeChannel(port: port)
      defer { channel.close() }
      let client = Ordp_Echo_V1_Echo_Client(channel: channel)
      let response = try await client.collect { writer in
        for town in ["Arnsberg", "Bad Berleburg", "Menden", "Olpe", "Soest"] {
          try await writer.write(echoRequest(town, payload: 10))
        }
      }
      #expect(response.text == "Arnsberg Bad Berleburg Menden Olpe Soest")
      #expect(response.index == 50)
      let empty = try await client.collect { _ in }
      #expect(empty.text == "")
    }
  }

  @Test func serverStreamingLargerThanTheFlowControlWindow() async throws {
    try await withServer { _, port in
      let channel = makeChannel(port: port)
      defer { channel.close() }
      let client = Ordp_Echo_V1_Echo_Client(channel: channel)
      // 64 × 64 KiB = 4 MiB, four times the default 1 MiB window: needs WINDOW_UPDATEs.
      let indices = try await client.expand(echoRequest("x", payload: 65_536, repeat: 64)) {
        stream in
        var seen: [UInt32] = []
        for try await r in stream {
          #expect(r.payload.count == 65_536)
          seen.append(r.index)
        }
        return seen
      }
      #expect(indices == Array(0..<64))
    }
  }

  @Test func serverStreamingFailureAfterMessages() async throws {
    try await withServer { _, port in
      let channel = makeChannel(port: port)
      defer { channel.close() }
      let client = Ordp_Echo_V1_Echo_Client(channel: channel)
      var received = 0
      do {
        try await client.expand(echoRequest("gone", repeat: 3, failCode: 5)) { stream in
          for try await _ in stream { received += 1 }
        }
        Issue.record("no error")
      } catch let error as RPCError {
        #expect(error.code == .notFound)
        #expect(error.message == "gone")
      }
      #expect(received == 3)
    }
  }

  @Test func bidirectionalPingPong() async throws {
    try await withServer { _, port in
      let channel = makeChannel(port: port)
      defer { channel.close() }
      let client = Ordp_Echo_V1_Echo_Client(channel: channel)
      let texts = try await client.update { writer in
        for i in 0..<100 { try await writer.write(echoRequest("m\(i)")) }
      } onResponse: { stream in
        var texts: [String] = []
        for try await r in stream { texts.append(r.text) }
        return texts
      }
      #expect(texts == (0..<100).map { "m\($0)" })
    }
  }

  @Test func handlerErrorsBecomeStatuses() async throws {
    try await withServer { _, port in
      let channel = makeChannel(port: port)
      defer { channel.close() }
      let client = Ordp_Echo_V1_Echo_Client(channel: channel)
      await #expect(throws: RPCError(.permissionDenied, "not your town")) {
        try await client.get(echoRequest("not your town", failCode: 7))
      }
      // The connection keeps working.
      let v1 = try await client.get(echoRequest("ok"))
      #expect(v1.text == "ok")
    }
  }

  @Test func unknownMethodIsUnimplemented() async throws {
    try await withServer { _, port in
      let channel = makeChannel(port: port)
      defer { channel.close() }
      let missing = MethodDescriptor(service: "ordp.echo.v1.Echo", method: "Nope", kind: .unary)
      do {
        let _: Ordp_Echo_V1_EchoResponse = try await channel.unary(
          missing, request: echoRequest("x"))
        Issue.record("no error")
      } catch let error as RPCError {
        #expect(error.code == .unimplemented)
        #expect(error.message.contains("/ordp.echo.v1.Echo/Nope"))
      }
    }
  }

  @Test func healthCheckListAndWatch() async throws {
    try await withServer { server, port in
      let channel = makeChannel(port: port)
      defer { channel.close() }
      let health = Grpc_Health_V1_Health_Client(channel: channel)
      var request = Grpc_Health_V1_HealthCheckRequest()
      let v2 = try await health.check(request)
      #expect(v2.status == .serving)
      request.service = "ordp.echo.v1.Echo"
      await #expect(throws: RPCError.self) { try await health.check(request) }
      server.health.setStatus(.serving, forService: "ordp.echo.v1.Echo")
      let v3 = try await health.check(request)
      #expect(v3.status == .serving)
      let v4 = try await health.list(.init())
      #expect(v4.statuses.count == 2)
      let seen = try await health.watch(request) { stream in
        var seen: [Grpc_Health_V1_HealthCheckResponse.ServingStatus] = []
        for try await update in stream {
          seen.append(update.status)
          if seen.count == 1 {
            server.health.setStatus(.notServing, forService: "ordp.echo.v1.Echo")
          }
          if seen.count == 2 { break }
        }
        return seen
      }
      #expect(seen == [.serving, .notServing])
    }
  }
}
