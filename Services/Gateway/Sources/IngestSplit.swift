public import ORDPAnalyticsAPI

/// Splitting an ingest batch over the partitions its streams live in, and merging the
/// partitions' acknowledgements into the one the client expects — I/O-free.
public enum IngestSplit {
  /// One partition's share of a batch: its series, and where each came from in the batch.
  public struct Part: Sendable, Equatable {
    public var partition: Int
    public var batch: Ordp_Analytics_V1_IngestBatch
    /// `origins[i]`: the index in the client's batch of the part's series i.
    public var origins: [Int]
  }

  /// The parts of `batch` by `partitionOf(seriesIndex)`, each with `batchID` (the gateway's
  /// own id for it), in partition order.
  public static func split(
    _ batch: Ordp_Analytics_V1_IngestBatch, batchID: UInt64, partitionOf: (Int) -> Int
  ) -> [Part] {
    var parts: [Int: Part] = [:]
    for (index, series) in batch.series.enumerated() {
      let p = partitionOf(index)
      if parts[p] == nil {
        var empty = Ordp_Analytics_V1_IngestBatch()
        empty.batchID = batchID
        parts[p] = Part(partition: p, batch: empty, origins: [])
      }
      parts[p]!.batch.series.append(series)
      parts[p]!.origins.append(index)
    }
    return parts.keys.sorted().map { parts[$0]! }
  }

  /// The client's acknowledgement of batch `clientID` from its parts' acknowledgements (with
  /// each part's `origins`): counts added, rejections pointing at the client's series, at most
  /// 100 as a single partition gives.
  public static func merge(
    clientID: UInt64, _ acks: [(ack: Ordp_Analytics_V1_IngestAck, origins: [Int])]
  ) -> Ordp_Analytics_V1_IngestAck {
    var merged = Ordp_Analytics_V1_IngestAck()
    merged.batchID = clientID
    for (ack, origins) in acks {
      merged.accepted &+= ack.accepted
      merged.duplicates &+= ack.duplicates
      merged.rejected &+= ack.rejected
      for var rejection in ack.rejections where merged.rejections.count < 100 {
        let local = Int(rejection.seriesIndex)
        if origins.indices.contains(local) { rejection.seriesIndex = UInt32(origins[local]) }
        merged.rejections.append(rejection)
      }
    }
    merged.rejections.sort {
      ($0.seriesIndex, $0.itemIndex) < ($1.seriesIndex, $1.itemIndex)
    }
    return merged
  }
}
