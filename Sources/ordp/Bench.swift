import ArgumentParser
import Foundation
import NIOCore
import ORDPBenchSupport
import ORDPRPC
import Synchronization

/// `ordp bench`: load on any unary or server-streaming method, with calls/s and the latency
/// distribution (HdrHistogram) at each number of calls in flight.
struct Bench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Load any method: calls/s and latency percentiles at each number in flight.",
    discussion: """
      The same request (-d, JSON, as for `ordp call`) again and again from closed-loop callers \
      over one connection, with the session's token. A failed call is counted, not retried; \
      the first failure is printed. Unary and server-streaming methods (a server stream is read \
      to its end).
      """)

  @OptionGroup var connection: ConnectionOptions
  @Argument(help: "The method, e.g. ordp.catalogue.v1.Catalogue/Search.") var method: String
  @Option(name: .customShort("d"), help: "The request as JSON.") var data = "{}"
  @Option(help: "Calls in flight, comma separated.") var inFlight = "1,16,64"
  @Option(help: "Seconds measured per level.") var seconds = 5.0
  @Option(help: "Seconds of warm-up per level.") var warmup = 1.0

  func validate() throws {
    guard (0.1...3600).contains(seconds), (0...600).contains(warmup) else {
      throw ValidationError("--seconds: 0.1…3600, --warmup: 0…600")
    }
    let levels = inFlight.split(separator: ",").map { Int($0) }
    guard !levels.isEmpty, levels.allSatisfy({ $0 != nil && (1...10_000).contains($0!) }) else {
      throw ValidationError("--in-flight: numbers 1…10000, comma separated")
    }
  }

  func run() async throws {
    guard let schema = ProtoCatalogue.schema(method) else {
      throw CLIError("no method \(method) (ordp describe lists them)")
    }
    guard schema.descriptor.kind.hasSingleRequest else {
      throw CLIError("\(schema.descriptor.path) takes a stream of requests: not benchmarked")
    }
    let request = try Call.requests(Data(data.utf8), schema: schema)[0]
    let channel = try connection.channel()
    defer { channel.close() }
    let options = try await connection.authorizedOptions(channel)
    print("\(schema.descriptor.path) at \(connection.server), \(seconds) s per level")
    print("| in flight | calls/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | failed |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for level in inFlight.split(separator: ",").compactMap({ Int($0) }) {
      let failures = Atomic<Int>(0)
      let firstFailure = Mutex<String?>(nil)
      let descriptor = schema.descriptor
      let result = try await LoadRunner.measure(
        inFlight: level, duration: .milliseconds(Int64(seconds * 1000)),
        warmup: .milliseconds(Int64(warmup * 1000)), executor: nil
      ) {
        do {
          if descriptor.kind == .unary {
            _ = try await channel.unaryRaw(descriptor, request: request, options: options)
          } else {
            try await channel.serverStreamingRaw(descriptor, request: request, options: options) {
              for try await _ in $0 {}
            }
          }
        } catch {
          failures.wrappingAdd(1, ordering: .relaxed)
          firstFailure.withLock { if $0 == nil { $0 = "\(error)" } }
        }
      }
      func micros(_ percentile: Double) -> String {
        String(format: "%.0f", Double(result.histogram.valueAtPercentile(percentile)) / 1000)
      }
      print(
        "| \(level) | \(String(format: "%.0f", result.callsPerSecond)) | \(micros(50)) | "
          + "\(micros(90)) | \(micros(99)) | \(micros(99.9)) | "
          + "\(String(format: "%.0f", Double(result.histogram.max) / 1000)) | "
          + "\(failures.load(ordering: .relaxed)) |")
      if let failure = firstFailure.withLock({ $0 }) { print("first failure: \(failure)") }
    }
  }
}
