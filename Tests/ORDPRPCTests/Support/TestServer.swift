import Logging
import NIOCore
import ORDPEcho
import ORDPRPC

/// Runs an `ORDPServer` for the duration of `body`, then shuts it down gracefully.
func withServer<R: Sendable>(
  security: ServerSecurity = TestPKI.serverSecurity(),
  configure: (inout ServerConfiguration) -> Void = { _ in },
  services: [any RPCService] = [EchoService()],
  interceptors: [any ServerInterceptor] = [],
  _ body: (ORDPServer, Int) async throws -> R
) async throws -> R {
  var config = ServerConfiguration(host: "127.0.0.1", port: 0, security: security)
  configure(&config)
  var logger = Logger(label: "test.server")
  logger.logLevel = .warning
  let server = ORDPServer(
    configuration: config, services: services, interceptors: interceptors, logger: logger)
  return try await withThrowingTaskGroup(of: Void.self) { group in
    group.addTask { try await server.run() }
    let port = try await server.localAddress.port!
    do {
      let result = try await body(server, port)
      server.beginGracefulShutdown()
      try await group.waitForAll()
      return result
    } catch {
      server.beginGracefulShutdown()
      group.cancelAll()
      throw error
    }
  }
}

/// A channel to the test server on `port`.
func makeChannel(
  port: Int, security: ClientSecurity = TestPKI.clientSecurity(),
  interceptors: [any ClientInterceptor] = [],
  configure: (inout RPCChannel.Configuration) -> Void = { _ in }
) -> RPCChannel {
  var config = RPCChannel.Configuration(
    targets: [.init(host: "127.0.0.1", port: port)], security: security)
  configure(&config)
  return RPCChannel(configuration: config, interceptors: interceptors)
}

/// A plaintext channel balancing over the given local ports.
func makePlaintextChannel(ports: [Int]) -> RPCChannel {
  RPCChannel(
    configuration: .init(
      targets: ports.map { .init(host: "127.0.0.1", port: $0) }, security: .plaintext))
}

func echoRequest(
  _ text: String, payload: Int = 0, repeat count: UInt32 = 0, delayMicros: UInt64 = 0,
  failCode: UInt32 = 0
) -> Ordp_Echo_V1_EchoRequest {
  var r = Ordp_Echo_V1_EchoRequest()
  r.text = text
  r.payload = .init(repeating: 7, count: payload)
  r.repeat = count
  r.delayMicros = delayMicros
  r.failCode = failCode
  return r
}
