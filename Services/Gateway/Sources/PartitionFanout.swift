public import NIOCore
import ORDPPartitionAPI
public import ORDPRPC

/// Calls spread over every partition of a service: each partition's answer or failure, in
/// partition order, and what to make of them.
public enum PartitionFanout {
  /// One partition's part of a spread call.
  public struct Part<Value: Sendable>: Sendable {
    public var partition: Topology.Partition
    public var result: Result<Value, RPCError>

    public init(partition: Topology.Partition, result: Result<Value, RPCError>) {
      self.partition = partition
      self.result = result
    }
  }

  /// Runs `body` on each of `partitions` (by default every partition of `pool`) at once,
  /// each on a replica (balanced and retried as any call), each bounded by `timeout` (a late
  /// partition ends with DEADLINE_EXCEEDED, the others' answers stand). `body` gets the
  /// partition's index.
  public static func spread<Value: Sendable>(
    _ pool: BackendPool, over partitions: [Topology.Partition]? = nil, idempotent: Bool,
    timeout: Duration?, options: CallOptions,
    _ body: @escaping @Sendable (Int, RPCChannel, CallOptions) async throws -> Value
  ) async -> [Part<Value>] {
    let all = pool.partitions
    let chosen = partitions ?? all
    var options = options
    if let timeout { options.timeout = min(options.timeout ?? timeout, timeout) }
    let bounded = options
    return await withTaskGroup(of: (Int, Result<Value, RPCError>).self) { group in
      for (slot, partition) in chosen.enumerated() {
        guard let index = all.firstIndex(where: { $0.name == partition.name }) else { continue }
        group.addTask {
          do {
            let value = try await pool.call(partition: index, idempotent: idempotent) {
              channel, _ in try await body(index, channel, bounded)
            }
            return (slot, .success(value))
          } catch let error as RPCError {
            return (slot, .failure(error))
          } catch {
            return (slot, .failure(RPCError(.unavailable, "\(error)")))
          }
        }
      }
      var results = [Result<Value, RPCError>?](repeating: nil, count: chosen.count)
      for await (slot, result) in group { results[slot] = result }
      return chosen.indices.map {
        Part(
          partition: chosen[$0],
          result: results[$0] ?? .failure(RPCError(.unavailable, "partition was taken out")))
      }
    }
  }

  /// A status is the partition's own failure (not an answer about what the call named).
  static func isPartitionFailure(_ code: StatusCode) -> Bool {
    switch code {
    case .unavailable, .deadlineExceeded, .internal, .unknown, .dataLoss, .resourceExhausted:
      return true
    default:
      return false
    }
  }

  /// The answer of a lookup spread over every partition (`Route.find`): the one partition
  /// that has it answers; NOT_FOUND only when every partition said so — when one failed, the
  /// caller learns that the answer may be there (UNAVAILABLE naming its towns), never a
  /// silent NOT_FOUND.
  public static func found(_ parts: [Part<ByteBuffer>]) throws -> ByteBuffer {
    var notFound: RPCError? = nil
    var failed: [(Topology.Partition, RPCError)] = []
    var refusal: RPCError? = nil
    for part in parts {
      switch part.result {
      case .success(let answer):
        return answer
      case .failure(let error) where error.code == .notFound:
        notFound = notFound ?? error
      case .failure(let error) where isPartitionFailure(error.code):
        failed.append((part.partition, error))
      case .failure(let error):
        refusal = refusal ?? error
      }
    }
    if let refusal { throw refusal }
    if !failed.isEmpty {
      let names = failed.map { "\($0.0.name) (\(describeTowns($0.0))): \($0.1.message)" }
      throw RPCError(
        .unavailable,
        "not found in the partitions that answered; partitions without an answer: \(names.joined(separator: "; "))"
      )
    }
    throw notFound ?? RPCError(.notFound, "not found")
  }

  static func describeTowns(_ partition: Topology.Partition) -> String {
    let towns = partition.towns.sorted().prefix(20).joined(separator: ", ")
    if partition.isDefault {
      return towns.isEmpty ? "towns no partition names" : towns + ", others"
    }
    return towns
  }

  /// The status list of a spread call, and the answers of the partitions that gave one;
  /// UNAVAILABLE when none did.
  static func statuses<Value>(
    _ parts: [PartitionFanout.Part<Value>], what: String
  ) throws -> ([Ordp_Partition_V1_PartitionStatus], [(name: String, value: Value)]) {
    var statuses: [Ordp_Partition_V1_PartitionStatus] = []
    var answered: [(name: String, value: Value)] = []
    for part in parts {
      var status = Ordp_Partition_V1_PartitionStatus()
      status.partition = part.partition.name
      status.towns = part.partition.towns.sorted()
      switch part.result {
      case .success(let value): answered.append((part.partition.name, value))
      case .failure(let error):
        status.code = UInt32(error.code.rawValue)
        status.message = error.message
      }
      statuses.append(status)
    }
    if answered.isEmpty, !parts.isEmpty {
      let reasons = parts.compactMap { part -> String? in
        if case .failure(let e) = part.result { return "\(part.partition.name): \(e.message)" }
        return nil
      }
      throw RPCError(
        .unavailable, "no \(what) partition answered: \(reasons.joined(separator: "; "))")
    }
    return (statuses, answered)
  }
}
