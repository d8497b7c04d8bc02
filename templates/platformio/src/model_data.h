// The .tflite model, stored in flash. Defined in model_data.cc.
#ifndef MCU_MODEL_DATA_H
#define MCU_MODEL_DATA_H

extern const unsigned char mcu_model_data[];
extern const unsigned int mcu_model_data_len;

#endif  // MCU_MODEL_DATA_H
