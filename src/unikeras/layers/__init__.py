"""Keras 3 layers, written once against the Array API standard."""

from .input_spec import InputSpec
from .layer import Layer
from .symbolic import Input, InputLayer, KerasTensor
from .core import Activation, Dense, Identity, Lambda
from .reshaping import (Cropping1D, Cropping2D, Cropping3D, Flatten, Permute, RepeatVector,
                        Reshape, UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D,
                        ZeroPadding2D, ZeroPadding3D)
from .pooling import (AdaptiveAveragePooling1D, AdaptiveAveragePooling2D,
                      AdaptiveAveragePooling3D, AdaptiveMaxPooling1D, AdaptiveMaxPooling2D,
                      AdaptiveMaxPooling3D, AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D,
                      AvgPool2D, AvgPool3D, GlobalAveragePooling1D, GlobalAveragePooling2D,
                      GlobalAveragePooling3D, GlobalAvgPool1D, GlobalAvgPool2D,
                      GlobalAvgPool3D, GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D,
                      GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D,
                      MaxPool1D, MaxPool2D, MaxPool3D, MaxPooling1D, MaxPooling2D,
                      MaxPooling3D)
from .convolutional import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D,
                            Conv3DTranspose, Convolution1D, Convolution1DTranspose,
                            Convolution2D, Convolution2DTranspose, Convolution3D,
                            Convolution3DTranspose, DepthwiseConv1D, DepthwiseConv2D,
                            SeparableConv1D, SeparableConv2D, SeparableConvolution1D,
                            SeparableConvolution2D)
from .normalization import (BatchNormalization, GroupNormalization, LayerNormalization,
                            RMSNormalization, UnitNormalization)
from .regularization import (ActivityRegularization, AlphaDropout, Dropout, GaussianDropout,
                             GaussianNoise, SpatialDropout1D, SpatialDropout2D,
                             SpatialDropout3D)
from .merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract,
                      add, average, concatenate, dot, maximum, minimum, multiply, subtract)
from .activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from .embedding import Embedding, Masking, ReversibleEmbedding
from .preprocessing import CategoryEncoding, Normalization, Rescaling
from .preprocessing import (Discretization, HashedCrossing, Hashing, IntegerLookup,
                            StringLookup, TextVectorization)
from .preprocessing import (CenterCrop, MaxNumBoundingBoxes, Pipeline, RandomCrop,
                            RandomFlip, RandomRotation, RandomShear, RandomTranslation,
                            RandomZoom, Resizing, RandomElasticTransform,
                            RandomPerspective)
from .preprocessing import MelSpectrogram, STFTSpectrogram
from .preprocessing import AugMix, RandAugment
from .preprocessing import (AutoContrast, ContrastLimitedAdaptiveHistogramEqualization,
                            CutMix, Equalization, MixUp, RandomBrightness,
                            RandomColorDegeneration, RandomColorJitter, RandomContrast,
                            RandomErasing, RandomGaussianBlur, RandomGrayscale, RandomHue,
                            RandomInvert, RandomPosterization, RandomSaturation,
                            RandomSharpness, Solarization)
from .einsum_dense import EinsumDense
from .rnn import (GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell,
                  StackedRNNCells,
                  ConvLSTM1D, ConvLSTM2D, ConvLSTM3D)
from .wrappers import Bidirectional, SpectralNormalization, TimeDistributed, Wrapper
from .jax_layer import FlaxLayer, JaxLayer
from .torch_module_wrapper import TorchModuleWrapper
from .attention import (AdditiveAttention, Attention, GroupedQueryAttention,
                        GroupQueryAttention, MultiHeadAttention)
from .tfsm import TFSMLayer
from .serialization import deserialize, serialize
