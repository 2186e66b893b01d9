import ArgumentParser
import Foundation
import ORDPPlatformAPI
import ORDPRPC

/// `ordp status`: every service, partition and replica behind the gateway.
struct Status: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Health of every service, partition and replica the gateway knows (admins).",
    discussion: """
      As the gateway sees them now: each replica's health (from its health watch), the calls \
      open on it, failures in a row and whether outlier ejection keeps calls away. Needs a \
      platform admin's session. Exit code 1 when a replica is not serving.
      """)

  @OptionGroup var connection: ConnectionOptions
  @Option(help: "table, json or csv.") var output: OutputFormat = .table

  struct Row: TableRow {
    var service: String
    var partition: String
    var towns: String
    var replica: String
    var health: String
    var open: UInt32
    var failures: UInt32
    var ejected: String
    static let columns = [
      "service", "partition", "towns", "replica", "health", "open", "failures", "ejected",
    ]
    var values: [String] {
      [service, partition, towns, replica, health, "\(open)", "\(failures)", ejected]
    }
  }

  func run() async throws {
    let channel = try connection.channel()
    defer { channel.close() }
    let status: Ordp_Platform_V1_PlatformStatus
    do {
      status = try await Ordp_Platform_V1_Platform_Client(channel: channel).getPlatformStatus(
        .init(), options: try await connection.authorizedOptions(channel))
    } catch let error as RPCError {
      throw failed(error)
    }
    let rows = status.services.flatMap { service in
      service.partitions.flatMap { partition in
        partition.replicas.map { replica in
          Row(
            service: service.service, partition: partition.name,
            towns: (partition.towns + (partition.isDefault ? ["(default)"] : [])).joined(
              separator: " "),
            replica: replica.address, health: replica.health, open: replica.outstanding,
            failures: replica.consecutiveFailures,
            ejected: replica.ejectedSeconds > 0
              ? "\(replica.ejectedSeconds) s more"
              : replica.ejections > 0
                ? "no (\(replica.ejections) before)" : "no")
        }
      }
    }
    print(output.render(rows))
    if rows.contains(where: { $0.health != "serving" }) { throw ExitCode(1) }
  }
}
