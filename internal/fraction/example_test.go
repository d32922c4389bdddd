package fraction_test

import (
	"fmt"

	"github.com/sei-protocol/sei-fleet/internal/fraction"
)

func ExampleParse() {
	for _, s := range []string{"1/3", "0.25", "4/3"} {
		f, err := fraction.Parse(s)
		fmt.Println(f.Num, f.Den, err)
	}
	// Output:
	// 1 3 <nil>
	// 1 4 <nil>
	// 0 0 fraction "4/3" must be greater than 0 and at most 1
}

func ExampleFraction_Below() {
	third := fraction.Fraction{Num: 1, Den: 3}
	fmt.Println(third.Below(33, 100), third.Below(1, 3), fraction.Percent(1, 3))
	// Output:
	// true false 33.3%
}
