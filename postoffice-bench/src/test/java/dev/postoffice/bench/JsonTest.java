package dev.postoffice.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void writesAndParsesBack() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("name", "quote \" backslash \\ newline \n tab \t ctrl \u0001 é");
        doc.put("count", 12L);
        doc.put("rate", 1234.5678);
        doc.put("small", 0.000123);
        doc.put("whole", 3.0);
        doc.put("nan", Double.NaN);
        doc.put("flag", true);
        doc.put("nothing", null);
        doc.put("list", List.of(1L, 2L, 3L));
        doc.put("nested", List.of(Map.of("a", 1L), Map.of()));
        Object back = Json.parse(Json.write(doc));
        assertThat(Json.at(back, "name")).isEqualTo(doc.get("name"));
        assertThat(Json.at(back, "count")).isEqualTo(12L);
        assertThat(Json.num(back, "rate")).isEqualTo(1234.57);
        assertThat(Json.num(back, "small")).isEqualTo(0.000123);
        assertThat(Json.at(back, "whole")).isEqualTo(3L);
        assertThat(Json.at(back, "nan")).isNull();
        assertThat(Json.at(back, "flag")).isEqualTo(true);
        assertThat(((Map<?, ?>) back).containsKey("nothing")).isTrue();
        assertThat(Json.at(back, "list")).isEqualTo(List.of(1L, 2L, 3L));
        assertThat(Json.at(back, "nested")).isEqualTo(List.of(Map.of("a", 1L), Map.of()));
        assertThat(keys(back)).containsExactlyElementsOf(doc.keySet());
    }

    @Test
    void rejectsBrokenText() {
        assertThatThrownBy(() -> Json.parse("{\"a\": 1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Json.parse("[1] x")).isInstanceOf(IllegalArgumentException.class);
    }

    private static List<String> keys(Object map) {
        return ((Map<?, ?>) map).keySet().stream().map(String::valueOf).toList();
    }
}
