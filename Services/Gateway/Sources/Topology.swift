import Foundation
import ORDPAuth
public import ORDPRPC

/// Where the services behind the gateway run: identity's replicas, and for the catalogue and
/// analytics their partitions — which towns each holds and its replicas. Read from a JSON file
/// (`--topology`, `docs/GATEWAY.md`), checked in full before it is used; the gateway reloads it
/// on SIGHUP.
public struct Topology: Sendable, Equatable {
  /// One partition of a partitioned service: the towns whose data it holds and the replicas
  /// that serve it (each holds the same data).
  public struct Partition: Sendable, Equatable {
    public var name: String
    /// Towns (organisation ids) this partition holds.
    public var towns: Set<String>
    /// Takes the towns no partition names (a town that joins later, until it is placed).
    public var isDefault: Bool
    public var replicas: [RPCChannel.Target]

    public init(
      name: String, towns: Set<String>, isDefault: Bool = false, replicas: [RPCChannel.Target]
    ) {
      self.name = name
      self.towns = towns
      self.isDefault = isDefault
      self.replicas = replicas
    }
  }

  public var identity: [RPCChannel.Target]
  public var catalogue: [Partition]
  public var analytics: [Partition]

  public init(identity: [RPCChannel.Target], catalogue: [Partition], analytics: [Partition]) {
    self.identity = identity
    self.catalogue = catalogue
    self.analytics = analytics
  }

  /// One partition per service holding every town: what the `--*-backends` lists give.
  public static func unpartitioned(
    identity: [RPCChannel.Target], catalogue: [RPCChannel.Target], analytics: [RPCChannel.Target]
  ) -> Topology {
    Topology(
      identity: identity,
      catalogue: [Partition(name: "all", towns: [], isDefault: true, replicas: catalogue)],
      analytics: [Partition(name: "all", towns: [], isDefault: true, replicas: analytics)])
  }

  /// The partitions of `backend` (identity is one partition holding every town).
  public func partitions(of backend: Backend) -> [Partition] {
    switch backend {
    case .identity: [Partition(name: "all", towns: [], isDefault: true, replicas: identity)]
    case .catalogue: catalogue
    case .analytics: analytics
    }
  }

  /// Limits on a topology: more is a mistake, not a region.
  public static let maximumPartitions = 64
  public static let maximumReplicas = 64
  public static let maximumTowns = 4096
  public static let maximumFileBytes = 1 << 20

  /// What is wrong with it, or nil: every service has replicas, partition names are unique,
  /// no town is in two partitions of a service, at most one default partition, counts within
  /// the limits, towns are organisation ids.
  public func problem() -> String? {
    if let p = Self.replicaProblem(identity, "identity") { return p }
    for (service, partitions) in [("catalogue", catalogue), ("analytics", analytics)] {
      guard (1...Self.maximumPartitions).contains(partitions.count) else {
        return "\(service) needs 1 to \(Self.maximumPartitions) partitions, has \(partitions.count)"
      }
      var names: Set<String> = []
      var owner: [String: String] = [:]
      var defaults = 0
      for p in partitions {
        let at = "\(service) partition \"\(p.name.prefix(64))\""
        guard (1...64).contains(p.name.utf8.count),
          OrganisationID.isLowerAlphanumericOrDash(p.name)
        else { return "\(at): a name is 1–64 of a-z, 0-9 and '-'" }
        guard names.insert(p.name).inserted else { return "\(at) is named twice" }
        if let r = Self.replicaProblem(p.replicas, at) { return r }
        guard p.towns.count <= Self.maximumTowns else {
          return "\(at) names more than \(Self.maximumTowns) towns"
        }
        for town in p.towns.sorted() {
          if let problem = OrganisationID.problem(town) { return "\(at): town \(problem)" }
          if let other = owner.updateValue(p.name, forKey: town) {
            return "\(service): town \"\(town)\" is in partitions \"\(other)\" and \"\(p.name)\""
          }
        }
        if p.isDefault { defaults += 1 }
        if p.towns.isEmpty && !p.isDefault { return "\(at) holds no town and is not the default" }
      }
      guard defaults <= 1 else { return "\(service) has \(defaults) default partitions" }
    }
    return nil
  }

  private static func replicaProblem(_ replicas: [RPCChannel.Target], _ at: String) -> String? {
    guard (1...maximumReplicas).contains(replicas.count) else {
      return "\(at) needs 1 to \(maximumReplicas) replicas, has \(replicas.count)"
    }
    guard Set(replicas).count == replicas.count else { return "\(at) names a replica twice" }
    for r in replicas
    where !(1...65_535).contains(r.port) || r.host.isEmpty || r.host.utf8.count > 253 {
      return "\(at): \"\(r.host.prefix(64)):\(r.port)\" is not host:port"
    }
    return nil
  }
}
