import ORDPAnalyticsAPI
import Synchronization

/// Every datastream in memory (a town has hundreds, the region thousands): ingest checks each
/// series' stream and permission here without touching the store, and queries resolve
/// selectors here. Changed only after the store has the change.
final class StreamDirectory: Sendable {
  private let state = Mutex<[String: StreamRecord]>([:])
  private let towns = Mutex<[String: Ordp_Analytics_V1_Retention]>([:])

  func load(_ records: [StreamRecord], retentions: [String: Ordp_Analytics_V1_Retention]) {
    state.withLock { streams in
      for record in records { streams[record.datastream.id] = record }
    }
    towns.withLock { $0 = retentions }
  }

  func put(_ record: StreamRecord) {
    state.withLock { $0[record.datastream.id] = record }
  }

  func record(_ id: String) -> StreamRecord? { state.withLock { $0[id] } }

  /// All records, ordered by datastream id.
  func all() -> [StreamRecord] {
    state.withLock { Array($0.values) }.sorted { $0.datastream.id < $1.datastream.id }
  }

  func setTownRetention(_ owner: String, _ retention: Ordp_Analytics_V1_Retention) {
    towns.withLock { $0[owner] = retention }
  }

  /// The retention that applies to a stream: its own, else its town's, else none (forever).
  func retention(of stream: Ordp_Analytics_V1_Datastream) -> Ordp_Analytics_V1_Retention? {
    if stream.hasRetention { return stream.retention }
    return towns.withLock { $0[stream.owner] }
  }
}
