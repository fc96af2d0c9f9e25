import Dispatch
import Foundation
import XCTest
import RNNCodegen
@testable import RNNKernelRunner
import RNNModel
import RNNTestSupport

/// The call graph behind `rnngen size`'s stack column.
final class CallGraphTests: XCTestCase {
    func testDeepestPathAddsFramesAndNamesLibraryCalls() {
        let vcg = """
        graph: { title: "k.c"
        node: { title: "k.c:leaf" label: "leaf\\nk.c:1:1\\n40 bytes (static)" }
        node: { title: "k.c:middle" label: "middle\\nk.c:2:1\\n100 bytes (static)" }
        node: { title: "k_step" label: "k_step\\nk.c:3:1\\n16 bytes (static)" }
        node: { title: "k_run" label: "k_run\\nk.c:4:1\\n8 bytes (dynamic,bounded)" }
        node: { title: "memset" label: "__builtin_memset\\n<built-in>" shape : ellipse }
        edge: { sourcename: "k_step" targetname: "k.c:middle" label: "k.c:3:5" }
        edge: { sourcename: "k_step" targetname: "k.c:leaf" }
        edge: { sourcename: "k.c:middle" targetname: "k.c:leaf" }
        edge: { sourcename: "k.c:middle" targetname: "memset" }
        edge: { sourcename: "k_run" targetname: "k_run" }
        }
        """
        let graph = CallGraph(vcg: vcg)
        XCTAssertEqual(graph.deepest(from: "k_step"), 16 + 100 + 40)
        XCTAssertEqual(graph.deepest(from: "k.c:leaf"), 40)
        XCTAssertEqual(graph.deepest(from: "k_run"), 8, "a cycle counts once")
        XCTAssertEqual(graph.external, ["memset"])
        XCTAssertFalse(graph.allStatic)
    }
}
