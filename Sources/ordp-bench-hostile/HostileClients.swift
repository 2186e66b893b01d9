import Foundation
import NIOCore
import NIOSSL
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
  /// Where the services listen, the CA that signed their certificates, how many streams.
  struct Targets: Sendable {
    var identityPort: Int
    var cataloguePort: Int
    var analyticsPort: Int
    var caPath: String
    var streams: Int
  }

  let targets: Targets
  /// What the attackers did, for the report.
  let counts = Counts()
  /// The attackers' own connections.
  let identityChannel: RPCChannel
  let catalogueChannel: RPCChannel
  let analyticsChannel: RPCChannel

  init(targets: Targets) throws {
    self.targets = targets
    let roots = try NIOSSLCertificate.fromPEMFile(targets.caPath)
    func channel(_ port: Int) -> RPCChannel {
      RPCChannel(
        host: "127.0.0.1", port: port,
        security: .tls(trustRoots: roots, serverHostname: "localhost"))
    }
    identityChannel = channel(targets.identityPort)
    catalogueChannel = channel(targets.cataloguePort)
    analyticsChannel = channel(targets.analyticsPort)
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

  /// The kinds of attack.
  enum Attack: String, CaseIterable, Sendable {
    case exports, held, frames, aggregates, handshakes
  }

  func run(_ attacks: Set<Attack> = Set(Attack.allCases)) async {
    await withTaskGroup(of: Void.self) { group in
      if attacks.contains(.exports) {
        for _ in 0..<4 { group.addTask { await nonReadingExports() } }
      }
      if attacks.contains(.held) {
        for service in [targets.cataloguePort, targets.analyticsPort, targets.identityPort] {
          group.addTask { await heldRequests(port: service) }
        }
      }
      if attacks.contains(.frames) {
        for _ in 0..<6 { group.addTask { await maximumFrames() } }
      }
      if attacks.contains(.aggregates) {
        for _ in 0..<4 { group.addTask { await heavyAggregates() } }
      }
      if attacks.contains(.handshakes) {
        group.addTask { await stalledHandshakes(count: 150) }
      }
      await group.waitForAll()
    }
  }

  /// Connections that ask for the whole catalogue, several exports each, and never read.
  func nonReadingExports() async {
    var connections: [any Channel] = []
    defer { for channel in connections { channel.close(promise: nil) } }
    while !Task.isCancelled {
      var frames = ByteBuffer()
      let export =
        (try? Ordp_Catalogue_V1_ExportRequest.with { $0.format = .jsonLd }.serializedBytes())
        ?? []
      for stream in UInt32(1)...4 {
        try? RawConnection.call(
          stream, method: "/ordp.catalogue.v1.Catalogue/Export", message: export, end: true,
          into: &frames)
      }
      if let channel = try? await RawConnection.open(
        port: targets.cataloguePort, ca: targets.caPath, frames: frames, keepReading: false)
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

  /// Requests of maximum size that never end, without a token, to each service's methods
  /// that take big messages (a dataset, an ingest batch, a user): 12 on a connection, then
  /// the next connection.
  func heldRequests(port: Int) async {
    let junk = [UInt8](repeating: 0x0a, count: Self.maximumMessage)
    let method =
      port == targets.cataloguePort
      ? "/ordp.catalogue.v1.Catalogue/CreateDataset"
      : port == targets.analyticsPort
        ? "/ordp.analytics.v1.Analytics/Ingest" : "/ordp.identity.v1.Identity/CreateUser"
    while !Task.isCancelled {
      var frames = ByteBuffer()
      for stream in UInt32(1)...12 {
        try? RawConnection.call(stream, method: method, message: junk, end: false, into: &frames)
      }
      if let channel = try? await RawConnection.open(
        port: port, ca: targets.caPath, frames: frames, keepReading: true)
      {
        counts.add("held maximum requests", 12)
        try? await Task.sleep(for: .seconds(1))
        channel.close(promise: nil)
      }
    }
  }

  /// Maximum-size frames as fast as the servers take them, without a token: a 4 MiB search, a
  /// 4 MiB login, 4 MiB of datastream ids, a 4 MiB dataset. A server slows down a connection
  /// that sends what its method does not take, so each connection sends one frame and the
  /// next frame comes on a new connection (a handshake is what the attacker then pays).
  func maximumFrames() async {
    let junk = ByteBuffer(bytes: [UInt8](repeating: 0x0a, count: Self.maximumMessage))
    let methods = [
      (targets.cataloguePort, "/ordp.catalogue.v1.Catalogue/Search"),
      (targets.identityPort, "/ordp.identity.v1.Identity/Login"),
      (targets.analyticsPort, "/ordp.analytics.v1.Analytics/Latest"),
      (targets.cataloguePort, "/ordp.catalogue.v1.Catalogue/CreateDataset"),
    ]
    var round = 0
    while !Task.isCancelled {
      let (port, method) = methods[round % methods.count]
      round += 1
      var headers = Ordp_Rpc_V1_RequestHeaders()
      headers.method = method
      var frames = ByteBuffer()
      try? frames.writeFrame(.headers, streamID: 1, message: headers)
      frames.writeFrame(.message, flags: .endStream, streamID: 1, payload: junk)
      guard
        let channel = try? await RawConnection.open(
          port: port, ca: targets.caPath, frames: frames, keepReading: true)
      else { continue }
      counts.add("maximum frames")
      // As long as the server reads it, at most a second; then the next connection.
      try? await Task.sleep(for: .milliseconds(20))
      channel.close(promise: nil)
    }
  }

  /// Anonymous aggregates as heavy as the service allows without a token: every public
  /// stream, minute buckets over as long as the cell limit allows (20,000 cells), quantiles.
  func heavyAggregates() async {
    let analytics = Ordp_Analytics_V1_Analytics_Client(channel: analyticsChannel)
    let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
    let minutes = Int64(20_000 / targets.streams - 2)
    while !Task.isCancelled {
      do {
        try await analytics.aggregate(
          .with {
            $0.fromMicros = now - minutes * 60_000_000
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
    let ports = [targets.identityPort, targets.cataloguePort, targets.analyticsPort]
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
