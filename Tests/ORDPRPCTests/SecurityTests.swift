import NIOCore
import ORDPEcho
import ORDPRPC
import Testing

@Suite struct SecurityTests {
  @Test func mutualTLSShowsThePeerIdentityToHandlers() async throws {
    try await withServer(security: TestPKI.serverSecurity(clientCertificates: .required)) {
      _, port in
      let channel = makeChannel(
        port: port, security: TestPKI.clientSecurity(identity: TestPKI.shared.client))
      defer { channel.close() }
      let r = try await Ordp_Echo_V1_Echo_Client(channel: channel).get(echoRequest("mtls"))
      #expect(r.peerIdentity == "spiffe://ordp/service/catalogue")
    }
  }

  @Test func requiredClientCertificateRefusesOthers() async throws {
    try await withServer(security: TestPKI.serverSecurity(clientCertificates: .required)) {
      _, port in
      for identity in [nil, TestPKI.shared.otherCAClient] {
        let channel = makeChannel(port: port, security: TestPKI.clientSecurity(identity: identity))
        defer { channel.close() }
        await #expect(throws: RPCError.self) {
          try await Ordp_Echo_V1_Echo_Client(channel: channel).get(echoRequest("x"))
        }
      }
    }
  }

  @Test func optionalClientCertificate() async throws {
    try await withServer(security: TestPKI.serverSecurity(clientCertificates: .optional)) {
      _, port in
      let anonymous = makeChannel(port: port)
      defer { anonymous.close() }
      let a = try await Ordp_Echo_V1_Echo_Client(channel: anonymous).get(echoRequest("a"))
      #expect(a.peerIdentity == "")
      let known = makeChannel(
        port: port, security: TestPKI.clientSecurity(identity: TestPKI.shared.client))
      defer { known.close() }
      let k = try await Ordp_Echo_V1_Echo_Client(channel: known).get(echoRequest("k"))
      #expect(k.peerIdentity == "spiffe://ordp/service/catalogue")
    }
  }

  @Test func clientRefusesAServerItDoesNotTrust() async throws {
    try await withServer { _, port in
      let untrusting = ClientSecurity.tls(
        trustRoots: [TestPKI.cert(TestPKI.shared.otherCAPEM)], serverHostname: "localhost")
      let channel = makeChannel(port: port, security: untrusting)
      defer { channel.close() }
      await #expect(throws: RPCError.self) {
        try await Ordp_Echo_V1_Echo_Client(channel: channel).get(echoRequest("x"))
      }
    }
  }

  @Test func alpnOfferWithoutOrdpIsRefusedButNoOfferIsAccepted() async throws {
    try await withServer { _, port in
      let h2 = try await RawConnection.connect(port: port, tls: ["h2"], hello: false)
      let w1 = try await h2.closed(within: .seconds(5))
      #expect(w1)
      let w2 = try await h2.nextFrame(timeout: .milliseconds(100))
      #expect(w2 == nil)
      let none = try await RawConnection.connect(port: port, tls: [])
      defer { none.close() }
      try await none.call(
        1, method: "/ordp.echo.v1.Echo/Get", request: try echoRequest("plain tls").serializedBytes()
      )
      let f = try await none.nextFrame(on: 1)
      #expect(f?.type == .message)
      let r = try Ordp_Echo_V1_EchoResponse(buffer: f!.payload)
      #expect(r.text == "plain tls")
    }
  }

  @Test func garbageInsteadOfTLSIsClosedAndHarmsNoOne() async throws {
    try await withServer { _, port in
      let channel = makeChannel(port: port)
      defer { channel.close() }
      let client = Ordp_Echo_V1_Echo_Client(channel: channel)
      _ = try await client.get(echoRequest("before"))
      let raw = try await RawConnection.connect(port: port, hello: false)
      try await raw.send(bytes: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
      let w3 = try await raw.closed(within: .seconds(5))
      #expect(w3)
      _ = try await client.get(echoRequest("after"))
    }
  }
}

struct BearerAuth: ServerInterceptor {
  func intercept(
    context: ServerContext, next: @Sendable (ServerContext) async throws -> Void
  ) async throws {
    guard context.method.service != "grpc.health.v1.Health" else { return try await next(context) }
    guard let header = context.requestMetadata["authorization"], header == "Bearer good" else {
      throw RPCError(.unauthenticated, "missing or invalid bearer token")
    }
    var context = context
    context.attributes[AuthenticatedUser.self] = AuthenticatedUser(name: "editor@soest")
    context.response.addTrailer("x-seen-by", "auth")
    try await next(context)
  }
}

struct AddToken: ClientInterceptor {
  let token: String
  func intercept<Result: Sendable>(
    head: ClientCallHead, next: @Sendable (ClientCallHead) async throws -> Result
  ) async throws -> Result {
    var head = head
    head.options.metadata.replace("authorization", "Bearer \(token)")
    return try await next(head)
  }
}

@Suite struct InterceptorTests {
  @Test func serverInterceptorAuthenticatesAndPassesAttributes() async throws {
    try await withServer(services: [ProbeService(probe: Probe())], interceptors: [BearerAuth()]) {
      _, port in
      let anonymous = makeChannel(port: port)
      defer { anonymous.close() }
      do {
        let _: Ordp_Echo_V1_EchoResponse = try await anonymous.unary(
          ProbeService.whoAmI, request: echoRequest(""))
        Issue.record("no error")
      } catch let error as RPCError {
        #expect(error.code == .unauthenticated)
      }
      let bad = makeChannel(port: port, interceptors: [AddToken(token: "forged")])
      defer { bad.close() }
      await #expect(throws: RPCError.self) {
        let _: Ordp_Echo_V1_EchoResponse = try await bad.unary(
          ProbeService.whoAmI, request: echoRequest(""))
      }
      let good = makeChannel(port: port, interceptors: [AddToken(token: "good")])
      defer { good.close() }
      let r: Ordp_Echo_V1_EchoResponse = try await good.unary(
        ProbeService.whoAmI, request: echoRequest(""))
      #expect(r.text == "editor@soest")
    }
  }
}
