import Foundation
import NIOCore
import ORDPAnalytics
import ORDPCatalogueAPI
import ORDPRPC

/// The change feed of a partitioned catalogue: every partition's feed followed at once, each
/// partition's changes passed on in their order, those of different partitions as they arrive,
/// each with a cursor that holds where the merged feed stands in every partition
/// (`WatchCursor`) — resuming with it misses nothing and repeats nothing. At most
/// `buffered` changes wait between the partitions and a slow reader (the partitions' streams
/// then wait too). A partition that fails ends the feed with UNAVAILABLE naming it (the caller
/// resumes with the last cursor); a feed that went on without it would silently lose its
/// changes.
enum WatchScatter {
  static let buffered = 64

  private enum Event: Sendable {
    case change(Int, Ordp_Catalogue_V1_Change)
    case ended
    case failed(Int, RPCError)
  }

  static func run(
    _ request: ByteBuffer, pool: BackendPool, options: CallOptions,
    write: (ByteBuffer) async throws -> Void
  ) async throws {
    let method = Ordp_Catalogue_V1_Catalogue.Method.watchChanges
    // Decoded before, by `PartitionRoutes`.
    let watch = try AnalyticsScatter.decode(Ordp_Catalogue_V1_WatchChangesRequest.self, request)
    let partitions = pool.partitions
    let names = partitions.map(\.name)
    var positions: [String: UInt64]
    if watch.afterCursor.isEmpty {
      guard watch.afterPosition == 0 else {
        throw RPCError(
          .invalidArgument,
          "after_position: the catalogue has \(partitions.count) partitions, each with its own feed; resume with after_cursor (the cursor of the last change received)"
        )
      }
      positions = [:]
    } else {
      positions = try WatchCursor.decode(watch.afterCursor, partitions: names)
    }
    let (events, sink) = AsyncStream<Event>.makeStream()
    let permits = AsyncSemaphore(permits: buffered)
    try await withThrowingTaskGroup(of: Void.self) { group in
      defer {
        permits.close()
        group.cancelAll()
      }
      for (index, name) in names.enumerated() {
        var own = watch
        own.afterCursor = ""
        own.afterPosition = positions[name] ?? 0
        let bytes = try AnalyticsScatter.encode(own)
        group.addTask {
          do {
            try await pool.call(partition: index, idempotent: true) { channel, attempt in
              try await channel.serverStreamingRaw(method, request: bytes, options: options) {
                changes in
                for try await raw in changes {
                  attempt.committed()
                  let change = try AnalyticsScatter.decode(Ordp_Catalogue_V1_Change.self, raw)
                  guard await permits.acquire() else { return }
                  sink.yield(.change(index, change))
                }
              }
            }
            sink.yield(.ended)
          } catch let error as RPCError {
            sink.yield(.failed(index, error))
          } catch {
            sink.yield(.failed(index, RPCError(.unavailable, "\(error)")))
          }
        }
      }
      var running = names.count
      for await event in events {
        switch event {
        case .change(let index, var change):
          positions[names[index]] = change.position
          change.cursor = WatchCursor.encode(positions)
          try await write(try AnalyticsScatter.encode(change))
          permits.release()
        case .ended:
          running -= 1
          if running == 0 { return }
        case .failed(let index, let error):
          guard PartitionFanout.isPartitionFailure(error.code) else { throw error }
          let partition = partitions[index]
          throw RPCError(
            .unavailable,
            "catalogue partition \(partition.name) (\(PartitionFanout.describeTowns(partition))) ended its feed: \(error.message); resume with the last change's cursor"
          )
        }
      }
    }
  }
}

/// Where a merged change feed stands: the position of the last change passed on from each
/// partition, by partition name. On the wire "w1." and base64 of the JSON object; at most
/// 12 KiB (the request takes 16). A partition the cursor does not name is read from its start
/// (it joined the topology after the cursor was made); a cursor naming a partition the
/// topology no longer has is refused.
public enum WatchCursor {
  static let prefix = "w1."

  public static func encode(_ positions: [String: UInt64]) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return prefix + ((try? encoder.encode(positions)) ?? Data()).base64EncodedString()
  }

  public static func decode(_ token: String, partitions: [String]) throws -> [String: UInt64] {
    guard token.utf8.count <= 12 * 1024, token.hasPrefix(prefix),
      let data = Data(base64Encoded: String(token.dropFirst(prefix.count))),
      let positions = try? JSONDecoder().decode([String: UInt64].self, from: data)
    else { throw RPCError(.invalidArgument, "after_cursor: not a cursor of this change feed") }
    guard Set(positions.keys).isSubset(of: Set(partitions)) else {
      throw RPCError(
        .invalidArgument,
        "after_cursor: names partitions the catalogue no longer has; watch again from a position you hold"
      )
    }
    guard positions.values.allSatisfy({ $0 <= UInt64(Int64.max) }) else {
      throw RPCError(.invalidArgument, "after_cursor: a position beyond 2^63 - 1")
    }
    return positions
  }
}
