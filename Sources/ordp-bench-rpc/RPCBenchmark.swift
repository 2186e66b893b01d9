import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ORDPEcho
import ORDPPKI
import ORDPRPC

/// Unary echo calls over one connection, client and server in this process, for ORDP/1 over
/// TLS, ORDP/1 plaintext and a bare SwiftNIO length-prefixed echo over TLS (the floor); plus
/// the message rate of a server stream. Prints a table.
@main
struct RPCBenchmark: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ordp-bench-rpc", abstract: "Benchmark the ORDP/1 runtime against a bare NIO echo."
  )

  @Option(help: "Seconds measured per row.") var seconds: Double = 3
  @Option(help: "Seconds of warm-up per row.") var warmup: Double = 1
  @Option(help: "Calls in flight, comma separated.") var inFlight = "1,16,64"
  @Option(help: "Messages in the streaming run.") var streamMessages = 500_000
  @Option(help: "Rows to run: floor, tls, plaintext (comma separated).")
  var transports = "floor,tls,plaintext"

  func run() async throws {
    let levels = inFlight.split(separator: ",").compactMap { Int($0) }
    let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let pki = try BenchPKI()
    let duration = Duration.milliseconds(Int64(seconds * 1000))
    let warm = Duration.milliseconds(Int64(warmup * 1000))
    print(
      "ORDP/1 RPC benchmark: unary echo of a 16-byte text, one connection, client and server in one process"
    )
    print(
      "cores: \(ProcessInfo.processInfo.activeProcessorCount), server loop: 1 thread, client loop: 1 thread, \(seconds) s per row\n"
    )

    var rows: [Row] = []
    let selected = Set(transports.split(separator: ",").map(String.init))
    let floor = try await FloorEcho.start(group: serverGroup, pki: pki)
    for n in levels where selected.contains("floor") {
      let client = try await FloorEcho.Client.connect(
        port: floor.port, group: clientGroup, pki: pki)
      let r = try await LoadRunner.measure(
        inFlight: n, duration: duration, warmup: warm, executor: nil
      ) {
        try await client.call()
      }
      rows.append(Row(name: "NIO echo TLS (floor)", inFlight: n, result: r))
      client.close()
    }
    try await floor.close()

    for (name, tls) in [("ORDP/1 TLS", true), ("ORDP/1 plaintext", false)]
    where selected.contains(tls ? "tls" : "plaintext") {
      let server = ORDPServer(
        configuration: ServerConfiguration(security: tls ? pki.serverSecurity : .plaintext),
        services: [EchoService()], group: serverGroup,
        logger: .init(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        let port = try await server.localAddress.port!
        let loop = clientGroup.next()
        for n in levels {
          let channel = RPCChannel(
            configuration: .init(
              targets: [.init(host: "127.0.0.1", port: port)],
              security: tls ? pki.clientSecurity : .plaintext),
            group: loop, logger: .init(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
          let client = Ordp_Echo_V1_Echo_Client(channel: channel)
          let request = Ordp_Echo_V1_EchoRequest.with { $0.text = "0123456789abcdef" }
          let r = try await LoadRunner.measure(
            inFlight: n, duration: duration, warmup: warm,
            executor: EventLoopTaskExecutor(eventLoop: loop)
          ) {
            _ = try await client.get(request)
          }
          rows.append(Row(name: name, inFlight: n, result: r))
          channel.close()
        }
        if tls {
          let channel = RPCChannel(
            configuration: .init(
              targets: [.init(host: "127.0.0.1", port: port)], security: pki.clientSecurity),
            group: loop, logger: .init(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
          let rate = try await StreamRun.messagesPerSecond(
            channel: channel, count: streamMessages,
            executor: EventLoopTaskExecutor(eventLoop: loop))
          print(
            String(
              format:
                "server stream over TLS: %d messages of 16 bytes in one call: %.0f messages/s\n",
              streamMessages, rate))
          channel.close()
        }
        server.beginGracefulShutdown()
        try await group.waitForAll()
      }
    }
    Row.printTable(rows)
    try await serverGroup.shutdownGracefully()
    try await clientGroup.shutdownGracefully()
  }
}
