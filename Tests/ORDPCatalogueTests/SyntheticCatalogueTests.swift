import ORDPCatalogue
import ORDPRegion
import Testing

/// The synthetic demo datasets name districts of their own town.
@Suite struct SyntheticCatalogueTests {
  @Test func everyDatasetNamesADistrictOfItsTown() {
    let catalogue = SyntheticCatalogue()
    var named: [String: Set<String>] = [:]
    for index in 0..<600 {
      let dataset = catalogue.dataset(index)
      let town = DemoRegion.town(dataset.publisher)
      let district = town?.districts.first { dataset.title.contains(" \($0) ") }
      #expect(district != nil, "\(dataset.publisher): \(dataset.title)")
      if let district { named[dataset.publisher, default: []].insert(district) }
      #expect(dataset.keywords.contains(district ?? "-"))
    }
    // Spread over the towns' districts, not one each.
    #expect(named.count == DemoRegion.towns.count && named.values.allSatisfy { $0.count >= 5 })
    // Hüsten is Arnsberg's, not Menden's.
    #expect(
      named["arnsberg"]?.contains("Hüsten") == true && named["menden"]?.contains("Hüsten") != true)
  }
}
