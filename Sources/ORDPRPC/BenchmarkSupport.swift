import Logging
public import NIOCore

/// For the RPC benchmark only: a server connection handler to drive in memory, so that the
/// server's own work per call can be timed without sockets and TLS.
@_spi(Benchmarks)
public enum BenchmarkSupport {
  /// The handler a plaintext server puts on each connection, serving `router`'s methods.
  public static func serverConnectionHandler(
    router: RPCRouter, eventLoop: any EventLoop
  ) -> any ChannelHandler {
    ServerConnectionHandler(
      router: router, interceptors: [],
      configuration: ServerConfiguration(host: "127.0.0.1", port: 0, security: .plaintext),
      eventLoop: eventLoop, tls: false, logger: Logger(label: "ordp.benchmark"))
  }
}
