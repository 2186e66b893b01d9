import NIOCore
import ORDPEcho
import ORDPRPC
import SwiftProtobuf
import Testing

/// Clients that try to make the server hold memory for them, over loopback.
@Suite struct HostileClientTests {
  static let get = "/ordp.echo.v1.Echo/Get"

  /// Unary requests that never get their END_STREAM: the connection holds at most its budget
  /// of request bytes; the message beyond it ends its own call with RESOURCE_EXHAUSTED, and
  /// the connection and other clients go on.
  @Test func heldRequestsBeyondTheConnectionBudgetAreRefused() async throws {
    try await withServer(
      security: .plaintext, configure: { $0.connection.maxBufferedRequestBytes = 1 << 20 }
    ) { _, port in
      let raw = try await RawConnection.connect(port: port)
      defer { raw.close() }
      let chunk = [UInt8](repeating: 0x0a, count: 300_000)
      for stream in UInt32(1)...4 {
        var headers = Ordp_Rpc_V1_RequestHeaders()
        headers.method = Self.get
        try await raw.send(.headers, stream: stream, message: headers)
        try await raw.send(.message, stream: stream, bytes: chunk)  // no END_STREAM
      }
      // Three fit into 1 MiB; the fourth does not.
      let refused = try #require(try await raw.nextFrame(on: 4))
      #expect(refused.type == .cancel)
      #expect(try BadInputTests.status(refused)?.code == .resourceExhausted)
      try await BadInputTests.expectHealthy(port: port)
      // The connection itself still serves calls.
      try await raw.call(5, method: Self.get, request: try echoRequest("ok").serializedBytes())
      let answer = try #require(try await raw.nextFrame(on: 5))
      #expect(answer.type == .message)
    }
  }

  @Test func connectionsBeyondTheLimitAreClosed() async throws {
    try await withServer(security: .plaintext, configure: { $0.maximumConnections = 2 }) {
      _, port in
      let first = try await RawConnection.connect(port: port)
      let second = try await RawConnection.connect(port: port)
      defer {
        first.close()
        second.close()
      }
      #expect(try await first.nextFrame(skipHello: false)?.type == .hello)
      #expect(try await second.nextFrame(skipHello: false)?.type == .hello)
      // (No HELLO: the server may have closed the connection before it could be written.)
      let third = try await RawConnection.connect(port: port, hello: false)
      defer { third.close() }
      #expect(try await third.closed(within: .seconds(5)))
      first.close()
      try await Task.sleep(for: .milliseconds(200))
      try await BadInputTests.expectHealthy(port: port)
    }
  }

  /// Refuses every call at its HEADERS (a missing token, say).
  struct RefuseAll: ServerInterceptor {
    func admit(_ context: inout ServerContext) throws(RPCError) {
      throw RPCError(.unauthenticated, "no token")
    }
    func intercept(
      context: ServerContext, next: @Sendable (ServerContext) async throws -> Void
    ) async throws {
      Issue.record("a refused call reached intercept")
      try await next(context)
    }
  }

  /// A call refused at its HEADERS gets its status at once, before its request message is
  /// read; a large message sent after it anyway is skipped as it arrives. The connection and
  /// its other calls go on.
  @Test func callsRefusedAtTheirHeadersAreNotReadFurther() async throws {
    try await withServer(security: .plaintext, interceptors: [RefuseAll()]) { _, port in
      let raw = try await RawConnection.connect(port: port)
      defer { raw.close() }
      var headers = Ordp_Rpc_V1_RequestHeaders()
      headers.method = Self.get
      try await raw.send(.headers, stream: 1, message: headers)
      let refused = try #require(try await raw.nextFrame(on: 1))
      #expect(refused.type == .trailers)
      #expect(try BadInputTests.status(refused)?.code == .unauthenticated)
      // 4 MiB for the refused call, then another call: the connection still answers.
      try await raw.send(
        .message, flags: .endStream, stream: 1, bytes: [UInt8](repeating: 0x0a, count: 4 << 20 - 16)
      )
      try await raw.send(.headers, flags: .endStream, stream: 2, message: headers)
      let next = try #require(try await raw.nextFrame(on: 2))
      #expect(try BadInputTests.status(next)?.code == .unauthenticated)
    }
  }
}
