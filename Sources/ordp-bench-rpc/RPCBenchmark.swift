import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ORDPBenchSupport
import ORDPEcho
import ORDPPKI
import ORDPRPC

/// Unary echo calls over one connection, client and server in this process, for ORDP/1 over
/// TLS, ORDP/1 plaintext and a bare SwiftNIO length-prefixed echo over TLS (the floor); plus
/// the message rate of a server stream. Rows are interleaved over several rounds (so that drift
/// of a shared machine hits all transports alike) and the median round is printed.
@main
struct RPCBenchmark: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ordp-bench-rpc",
    abstract: "Benchmark the ORDP/1 runtime against a bare NIO echo.")

  @Option(help: "Seconds measured per row and round.") var seconds: Double = 2
  @Option(help: "Seconds of warm-up per row and round.") var warmup: Double = 0.5
  @Option(help: "Rounds; the median round of each row is printed.") var rounds = 5
  @Option(help: "Calls in flight, comma separated.") var inFlight = "1,16,64"
  @Option(help: "Messages in the streaming run.") var streamMessages = 500_000
  @Option(
    help: """
      Rows to run (comma separated): floor (bare NIO echo over TLS, the caller hops to the \
      event loop and back), floor-loop (the same with the caller on the event loop), \
      floor-plaintext (floor-loop without TLS), tls, plaintext (ORDP/1).
      """)
  var transports = "floor,floor-loop,tls,plaintext"
  @Flag(help: "Client and server on one event loop thread (to compare CPU per call, not latency).")
  var sharedLoop = false
  @Flag(help: "Print every round's calls/s, not only the medians.") var showRounds = false
  @Option(
    help: """
      Pin the server loop and the client loop to these CPUs ("server,client", e.g. "1,0"): \
      steadier figures for comparing two builds; callers off the loop still float.
      """)
  var pin: String?
  @Flag(help: "Only time protobuf coding of the echo messages (warm, in a loop), then exit.")
  var codingOnly = false
  @Flag(
    help: """
      Only time the server's own work per unary call, in memory (no sockets, no TLS), against \
      the bare echo's, then exit.
      """)
  var serverOnly = false

  func run() async throws {
    if codingOnly { return try CodingRun.run(iterations: 1_000_000) }
    if serverOnly { return try ServerOnlyRun.run(calls: 100_000, rounds: 7) }
    let levels = inFlight.split(separator: ",").compactMap { Int($0) }
    let selected = transports.split(separator: ",").map(String.init)
    let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let clientGroup = sharedLoop ? serverGroup : MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let clientLoop = clientGroup.next()
    if let pin {
      let cpus = pin.split(separator: ",").compactMap { Int($0) }
      guard cpus.count == 2 else { throw ValidationError("--pin takes two CPU numbers") }
      try await ThreadPinning.pin(serverGroup.next(), to: cpus[0])
      if !sharedLoop { try await ThreadPinning.pin(clientLoop, to: cpus[1]) }
    }
    let pki = try BenchPKI()
    let duration = Duration.milliseconds(Int64(seconds * 1000))
    let warm = Duration.milliseconds(Int64(warmup * 1000))
    let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
    print("ORDP/1 RPC benchmark: unary echo of a 16-byte text over one connection,")
    print(
      "client and server in one process; cores: \(ProcessInfo.processInfo.activeProcessorCount),"
        + " server loop 1 thread, client loop 1 thread; \(rounds) rounds of \(seconds) s per row,"
        + " median round shown\n")

    let floor = try await FloorEcho.start(group: serverGroup, pki: pki)
    let floorPlain = try await FloorEcho.start(group: serverGroup, pki: pki, tls: false)
    let tlsServer = ORDPServer(
      configuration: ServerConfiguration(security: pki.serverSecurity), services: [EchoService()],
      group: serverGroup, logger: quiet)
    let plainServer = ORDPServer(
      configuration: ServerConfiguration(security: .plaintext), services: [EchoService()],
      group: serverGroup, logger: quiet)

    try await withThrowingTaskGroup(of: Void.self) { servers in
      servers.addTask { try await tlsServer.run() }
      servers.addTask { try await plainServer.run() }
      let tlsPort = try await tlsServer.localAddress.port!
      let plainPort = try await plainServer.localAddress.port!
      let request = Ordp_Echo_V1_EchoRequest.with { $0.text = "0123456789abcdef" }

      var results: [String: [LoadResult]] = [:]
      for round in 0..<rounds {
        // The rows of one level run back to back (so a row and the floor it is compared with
        // are measured close together), in reverse order every other round (so neither
        // always runs first).
        for n in levels {
          for transport in round % 2 == 0 ? selected : selected.reversed() {
            let result: LoadResult
            switch transport {
            case "floor", "floor-loop", "floor-plaintext":
              let tls = transport != "floor-plaintext"
              let client = try await FloorEcho.Client.connect(
                port: tls ? floor.port : floorPlain.port, group: clientGroup, pki: pki, tls: tls)
              let onLoop = transport != "floor"
              result = try await LoadRunner.measure(
                inFlight: n, duration: duration, warmup: warm,
                executor: onLoop ? EventLoopTaskExecutor(eventLoop: clientLoop) : nil
              ) { try await client.call() }
              client.close()
            default:
              let tls = transport == "tls"
              let channel = RPCChannel(
                configuration: .init(
                  targets: [.init(host: "127.0.0.1", port: tls ? tlsPort : plainPort)],
                  security: tls ? pki.clientSecurity : .plaintext),
                group: clientLoop, logger: quiet)
              let client = Ordp_Echo_V1_Echo_Client(channel: channel)
              result = try await LoadRunner.measure(
                inFlight: n, duration: duration, warmup: warm,
                executor: EventLoopTaskExecutor(eventLoop: clientLoop)
              ) { _ = try await client.get(request) }
              channel.close()
            }
            results["\(transport) \(n)", default: []].append(result)
            if showRounds {
              print(
                String(
                  format: "round %d: %@ %d in flight: %.0f calls/s", round + 1, transport, n,
                  result.callsPerSecond))
            }
          }
        }
      }

      if selected.contains("tls") {
        let channel = RPCChannel(
          configuration: .init(
            targets: [.init(host: "127.0.0.1", port: tlsPort)], security: pki.clientSecurity),
          group: clientLoop, logger: quiet)
        let rate = try await StreamRun.messagesPerSecond(
          channel: channel, count: streamMessages,
          executor: EventLoopTaskExecutor(eventLoop: clientLoop))
        print(
          String(
            format:
              "server stream over TLS: %d messages of 16 bytes in one call: %.0f messages/s\n",
            streamMessages, rate))
        channel.close()
      }

      let names = [
        "floor": "NIO echo TLS (floor)", "floor-loop": "NIO echo TLS, caller on loop",
        "floor-plaintext": "NIO echo plaintext, caller on loop", "tls": "ORDP/1 TLS",
        "plaintext": "ORDP/1 plaintext",
      ]
      var rows: [Row] = []
      for transport in selected {
        for n in levels {
          let runs = results["\(transport) \(n)", default: []].sorted {
            $0.callsPerSecond < $1.callsPerSecond
          }
          guard !runs.isEmpty else { continue }
          // Each round's ratio to the floor's run of the same round (run just before), so that
          // drift of a shared machine between rounds cancels out; the median of those.
          let inOrder = results["\(transport) \(n)", default: []]
          let floorRuns = results["floor \(n)", default: []]
          let paired = zip(inOrder, floorRuns).map { $0.callsPerSecond / $1.callsPerSecond }
            .sorted()
          rows.append(
            Row(
              name: names[transport] ?? transport, inFlight: n, result: runs[runs.count / 2],
              pairedRatio: paired.isEmpty ? nil : paired[paired.count / 2],
              pairedRange: paired.isEmpty ? nil : (paired.first!, paired.last!)))
        }
      }
      Row.printTable(rows)
      tlsServer.beginGracefulShutdown()
      plainServer.beginGracefulShutdown()
      try await servers.waitForAll()
    }
    try await floor.close()
    try await floorPlain.close()
    try await serverGroup.shutdownGracefully()
    if !sharedLoop { try await clientGroup.shutdownGracefully() }
  }
}
