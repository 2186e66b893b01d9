import Foundation
import NIOCore
import ORDPAnalyticsAPI
import ORDPCatalogueAPI
import ORDPIdentityAPI
import ORDPRPC
import SwiftProtobuf
import Synchronization

/// The attack: clients that never read big exports, send maximum frames and requests that
/// never end, run heavy anonymous aggregates, and leave TLS handshakes unfinished — all at
/// once, until cancelled.
struct HostileClients {
  let platform: HostilePlatform
  /// What the attackers did, for the report.
  let counts = Counts()
  /// The attackers' own connections (they do not share the honest users' ones).
  let identityChannel: RPCChannel
  let catalogueChannel: RPCChannel
  let analyticsChannel: RPCChannel

  init(platform: HostilePlatform) throws {
    self.platform = platform
    identityChannel = try platform.identity.channel()
    catalogueChannel = try platform.catalogue.channel()
    analyticsChannel = try platform.analytics.channel()
  }

  func close() {
    identityChannel.close()
    catalogueChannel.close()
    analyticsChannel.close()
  }

  final class Counts: Sendable {
    let values = Mutex<[String: Int]>([:])
    func add(_ what: String, _ count: Int = 1) { values.withLock { $0[what, default: 0] += count } }
  }

  static let maximumMessage = 4_194_304 - 64

  func run() async {
    await withTaskGroup(of: Void.self) { group in
      for _ in 0..<4 { group.addTask { await nonReadingExports() } }
      for service in [platform.catalogue.port, platform.analytics.port, platform.identity.port] {
        group.addTask { await heldRequests(port: service) }
      }
      for _ in 0..<3 { group.addTask { await maximumFrames() } }
      for _ in 0..<4 { group.addTask { await heavyAggregates() } }
      group.addTask { await stalledHandshakes(count: 150) }
      await group.waitForAll()
    }
  }

  /// Connections that ask for the whole catalogue, several exports each, and never read.
  func nonReadingExports() async {
    var connections: [any Channel] = []
    defer { for channel in connections { channel.close(promise: nil) } }
    while !Task.isCancelled {
      var frames = ByteBuffer()
      let export = (try? Ordp_Catalogue_V1_ExportRequest.with { $0.format = .jsonLd }.serializedBytes())
        ?? []
      for stream in UInt32(1)...4 {
        try? RawConnection.call(
          stream, method: "/ordp.catalogue.v1.Catalogue/Export", message: export, end: true,
          into: &frames)
      }
      if let channel = try? await RawConnection.open(
        port: platform.catalogue.port, frames: frames, keepReading: false)
      {
        connections.append(channel)
        counts.add("non-reading export connections")
      }
      if connections.count >= 16 {
        // Keep 16 open; replace the oldest now and then.
        connections.removeFirst().close(promise: nil)
      }
      try? await Task.sleep(for: .milliseconds(500))
    }
  }

  /// Unary requests of maximum size that never send END_STREAM, on as many streams as the
  /// server lets one connection hold.
  func heldRequests(port: Int) async {
    let junk = [UInt8](repeating: 0x0a, count: Self.maximumMessage)
    while !Task.isCancelled {
      var frames = ByteBuffer()
      for stream in UInt32(1)...12 {
        try? RawConnection.call(
          stream, method: "/grpc.health.v1.Health/Check", message: junk, end: false, into: &frames)
      }
      if let channel = try? await RawConnection.open(port: port, frames: frames, keepReading: true) {
        counts.add("held maximum requests", 12)
        try? await Task.sleep(for: .seconds(3))
        channel.close(promise: nil)
      }
    }
  }

  /// Maximum-size frames as fast as the server takes them: a 4 MiB search query, a 4 MiB
  /// password, 4 MiB of datastream ids.
  func maximumFrames() async {
    let text = String(repeating: "x", count: Self.maximumMessage - 16)
    let catalogue = Ordp_Catalogue_V1_Catalogue_Client(channel: catalogueChannel)
    let identity = Ordp_Identity_V1_Identity_Client(channel: identityChannel)
    let analytics = Ordp_Analytics_V1_Analytics_Client(channel: analyticsChannel)
    var round = 0
    while !Task.isCancelled {
      round += 1
      switch round % 3 {
      case 0: _ = try? await catalogue.search(.with { $0.query = text })
      case 1:
        _ = try? await identity.login(
          .with {
            $0.username = "soest.honest0"
            $0.password = text
          })
      default:
        _ = try? await analytics.latest(
          .with { $0.streams.datastreamIds = Array(repeating: "x", count: 1_000_000) })
      }
      counts.add("maximum frames")
    }
  }

  /// Anonymous aggregates as heavy as the service allows: every public stream, minute buckets
  /// over eight days, quantiles.
  func heavyAggregates() async {
    let analytics = Ordp_Analytics_V1_Analytics_Client(channel: analyticsChannel)
    let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
    while !Task.isCancelled {
      do {
        try await analytics.aggregate(
          .with {
            $0.fromMicros = now - 8 * 86_400_000_000
            $0.toMicros = now
            $0.bucket.fixedSeconds = 60
            $0.functions = [.count, .avg, .p50, .p99, .stddev]
          }
        ) { pages in for try await _ in pages {} }
        counts.add("heavy aggregates answered")
      } catch let error as RPCError {
        counts.add("heavy aggregates refused (\(error.code))")
        if error.code == .resourceExhausted { try? await Task.sleep(for: .milliseconds(20)) }
      } catch {
        counts.add("heavy aggregates failed")
      }
    }
  }

  /// TCP connections that begin a TLS handshake and never finish it.
  func stalledHandshakes(count: Int) async {
    var open: [any Channel] = []
    defer { for channel in open { channel.close(promise: nil) } }
    let ports = [platform.identity.port, platform.catalogue.port, platform.analytics.port]
    while !Task.isCancelled {
      open.removeAll { !$0.isActive }
      while open.count < count {
        guard let channel = try? await RawConnection.stalledHandshake(port: ports[open.count % 3])
        else { break }
        open.append(channel)
        counts.add("stalled handshakes")
      }
      try? await Task.sleep(for: .milliseconds(200))
    }
  }
}
