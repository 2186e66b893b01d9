import ORDPRegion

/// How `ordp dev up --partitions N --replicas M` lays the platform out: the demo towns spread
/// over N partitions of the catalogue and of analytics (the last partition also the default,
/// for towns that join later), each partition M processes with their own storage; the
/// topology file the gateway reads.
struct DevTopology {
  /// The demo towns, in the order they are spread.
  static let towns = DemoRegion.towns.map(\.id)

  let partitions: Int
  let replicas: Int

  /// One process of a partitioned service.
  struct Member {
    var service: String
    var partition: Int
    var replica: Int
    var towns: [String]
    /// Whether it holds every town (one partition): it seeds every town's demo data.
    var holdsAll: Bool

    var isFirst: Bool { partition == 0 && replica == 0 }
    /// "ordp-catalogue" for the only one, else "ordp-catalogue-p1-r0".
    var processName: String {
      isFirst && holdsAll ? "ordp-\(service)" : "ordp-\(service)-p\(partition)-r\(replica)"
    }
    var directory: String {
      isFirst && holdsAll ? service : "\(service)-p\(partition)-r\(replica)"
    }
    var demoTownArguments: [String] {
      holdsAll ? [] : ["--demo-towns", towns.joined(separator: ",")]
    }
  }

  func towns(of partition: Int) -> [String] {
    Self.towns.enumerated().filter { $0.offset % partitions == partition }.map(\.element)
  }

  func members(of service: String) -> [Member] {
    (0..<partitions).flatMap { p in
      (0..<replicas).map { r in
        Member(
          service: service, partition: p, replica: r, towns: towns(of: p),
          holdsAll: partitions == 1)
      }
    }
  }

  /// The topology file for processes listening where `port(processName)` says.
  func topologyJSON(host: String, identity: Int, port: (String) -> Int) -> String {
    func partitions(_ service: String) -> String {
      let entries = (0..<self.partitions).map { p -> String in
        let members = members(of: service).filter { $0.partition == p }
        let replicas = members.map { "\"\(host):\(port($0.processName))\"" }
        let towns = towns(of: p).map { "\"\($0)\"" }
        let isDefault = p == self.partitions - 1
        return """
          {"name": "p\(p)", "towns": [\(towns.joined(separator: ", "))], "default": \(isDefault), "replicas": [\(replicas.joined(separator: ", "))]}
          """
      }
      return "{\"partitions\": [\n    " + entries.joined(separator: ",\n    ") + "]}"
    }
    return """
      {"identity": {"replicas": ["\(host):\(identity)"]},
       "catalogue": \(partitions("catalogue")),
       "analytics": \(partitions("analytics"))}

      """
  }
}
