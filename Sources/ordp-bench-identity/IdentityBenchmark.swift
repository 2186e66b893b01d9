import ArgumentParser
import Foundation
import Histogram
import JWTKit
import Logging
import ORDPAuth
import ORDPBenchSupport
import ORDPIdentity
import ORDPIdentityAPI
import ORDPRPC
import SwiftProtobuf
import Synchronization

/// Identity's figures: logins/s (scrypt), API-key exchanges/s over ORDP/1 with TLS, and
/// access-token verifications/s in the verification library on one core.
@main
struct IdentityBenchmark: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ordp-bench-identity", abstract: "Benchmark identity and token verification.")

  @Option(help: "scrypt cost: log2 of N.") var scryptLogN = 17
  @Option(help: "Logins to time.") var logins = 40
  @Option(help: "API-key exchanges to time.") var exchanges = 3000
  @Option(help: "Calls in flight.") var inFlight = 16
  @Option(help: "Distinct tokens verified cold (signature checked every time).") var tokens = 3000
  @Option(help: "Seconds of cached verifications.") var seconds: Double = 2

  func run() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-bench-identity-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let platform = try await BenchPlatform.start(
      directory: dir,
      configure: { options in
        options.configuration.scrypt = ScryptParameters(logN: scryptLogN)
        options.configuration.throttle.addressLockThreshold = .max
      })
    let options = platform.identityOptions
    let channel = platform.channel
    defer { channel.close() }
    let client = Ordp_Identity_V1_Identity_Client(channel: channel)

    print("ORDP identity benchmark; cores: \(ProcessInfo.processInfo.activeProcessorCount)")
    print("identity in this process over ORDP/1 with TLS on loopback, SQLite synchronous=FULL\n")

    // Logins.
    let root = try await client.login(
      .with {
        $0.username = "admin"
        $0.password = BenchPlatform.password
      })
    let loginResult = try await measure(count: logins, inFlight: 2) { _ in
      _ = try await client.login(
        .with {
          $0.username = "admin"
          $0.password = BenchPlatform.password
        })
    }
    print(
      "logins (\(ScryptParameters(logN: scryptLogN)), \(options.hashingThreads) hashing threads, 2 in flight):"
    )
    print("  \(loginResult)\n")

    // API-key exchanges.
    let auth = CallOptions(metadata: Metadata(["authorization": "Bearer \(root.accessToken)"]))
    let account = try await client.createServiceAccount(
      .with {
        $0.organisationID = "soest"
        $0.name = "bench"
      }, options: auth)
    let key = try await client.createApiKey(
      .with {
        $0.serviceAccountID = account.id
        $0.scopes = ["analytics:ingest", "catalogue:read"]
      }, options: auth)
    let issued = Mutex<[String]>([])
    let exchangeResult = try await measure(count: exchanges, inFlight: inFlight) { _ in
      let token = try await client.exchangeApiKey(.with { $0.apiKey = key.secret }).accessToken
      issued.withLock { $0.append(token) }
    }
    print("API-key exchanges (\(inFlight) in flight, each audited):")
    print("  \(exchangeResult)\n")

    // Verifications, one task on one core.
    var all = issued.withLock { $0 }
    while all.count < tokens {
      all.append(try await client.exchangeApiKey(.with { $0.apiKey = key.secret }).accessToken)
    }
    let distinct = Array(all.prefix(tokens))
    let verifier = AccessTokenVerifier(
      configuration: .init(issuer: "ordp-identity", audience: "ordp"),
      source: RemoteIdentityKeySource(channel: channel))
    try await verifier.refreshKeys()
    try await verifier.syncRevocations()
    // Off the main actor, as in a server's handler task.
    let (coldSeconds, warmCount, warmSeconds) = try await Task.detached {
      let cold = ContinuousClock.now
      for token in distinct { _ = try await verifier.verify(token) }
      let coldSeconds = elapsedSeconds(since: cold)
      var warmCount = 0
      let warm = ContinuousClock.now
      let end = warm + .milliseconds(Int64(seconds * 1000))
      while ContinuousClock.now < end {
        for token in distinct.prefix(256) { _ = try await verifier.verify(token) }
        warmCount += 256
      }
      return (coldSeconds, warmCount, elapsedSeconds(since: warm))
    }.value
    print("access-token verifications in the library, one task (one core):")
    print(
      "  cold (parse + Ed25519 signature + claims + revocation), \(distinct.count) distinct tokens: "
        + "\(Int(Double(distinct.count) / coldSeconds))/s, \(format(coldSeconds / Double(distinct.count) * 1e6)) µs each"
    )
    print(
      "  cached (token seen before: expiry + revocation checks), 256 tokens cycled: "
        + "\(Int(Double(warmCount) / warmSeconds))/s, \(format(warmSeconds / Double(warmCount) * 1e6)) µs each"
    )
    try await breakdown(distinct, channel: channel)
    try await platform.shutdown()
  }

  /// Where the cold verification's time goes: parsing the JWT and checking its signature.
  func breakdown(_ tokens: [String], channel: RPCChannel) async throws {
    let keys = try await RemoteIdentityKeySource(channel: channel).fetchKeys()
    let parser = DefaultJWTParser()
    var start = ContinuousClock.now
    var parsed: [(JWTHeader, Data, [UInt8])] = []
    for token in tokens {
      let bytes = Array(token.utf8)
      let result = try parser.parse(bytes, as: AccessTokenClaims.self)
      let dot = bytes.lastIndex(of: UInt8(ascii: "."))!
      parsed.append((result.header, result.signature, Array(bytes[..<dot])))
    }
    let parseSeconds = seconds(ContinuousClock.now - start)
    start = ContinuousClock.now
    var valid = 0
    for (header, signature, input) in parsed {
      let key = keys.first { $0.keyID == header.kid }!.publicKey
      if key.isValidSignature(signature, for: input) { valid += 1 }
    }
    let signatureSeconds = seconds(ContinuousClock.now - start)
    print(
      "  of which: JWT parsing (jwt-kit, JSON) \(format(parseSeconds / Double(tokens.count) * 1e6)) µs, "
        + "Ed25519 signature check \(format(signatureSeconds / Double(tokens.count) * 1e6)) µs "
        + "(\(valid) valid)")
  }

  struct Result: CustomStringConvertible {
    var count: Int
    var seconds: Double
    var histogram: Histogram<UInt64>
    var description: String {
      "\(Int(Double(count) / seconds))/s over \(count) calls; p50 \(format(Double(histogram.valueAtPercentile(50)) / 1000)) ms, "
        + "p99 \(format(Double(histogram.valueAtPercentile(99)) / 1000)) ms"
    }
  }

  /// Runs `count` operations with `inFlight` at a time; latency per operation in µs.
  func measure(
    count: Int, inFlight: Int, _ body: @escaping @Sendable (Int) async throws -> Void
  )
    async throws -> Result
  {
    let next = Counter()
    let start = ContinuousClock.now
    let histograms = try await withThrowingTaskGroup(of: Histogram<UInt64>.self) { group in
      for _ in 0..<inFlight {
        group.addTask {
          var histogram = Histogram<UInt64>(
            highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
          while true {
            let index = next.value.add(1, ordering: .relaxed).newValue
            if index > count { break }
            let begin = ContinuousClock.now
            try await body(index)
            let elapsed = ContinuousClock.now - begin
            _ = histogram.record(
              UInt64(elapsed.components.attoseconds / 1_000_000_000_000) + UInt64(
                elapsed.components.seconds) * 1_000_000)
          }
          return histogram
        }
      }
      var merged = Histogram<UInt64>(
        highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
      for try await histogram in group { merged.add(histogram) }
      return merged
    }
    return Result(
      count: count, seconds: seconds(ContinuousClock.now - start), histogram: histograms)
  }

  func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
  }
}

func format(_ value: Double) -> String { String(format: "%.1f", value) }

func elapsedSeconds(since start: ContinuousClock.Instant) -> Double {
  let duration = ContinuousClock.now - start
  return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

final class Counter: Sendable {
  let value = Atomic<Int>(0)
}
